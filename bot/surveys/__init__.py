"""Participant feedback surveys: definitions as data (`schema`), Telegram-free logic (`engine`), storage
(`repository`). The Telegram side is `handlers/surveys.py`."""
