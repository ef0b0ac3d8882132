"""Participant feedback surveys: definitions as data (`schema`), answer values (`values`), Telegram-free logic
(`engine`), use cases (`service`, `reminders`), storage (`repository`). The Telegram side is `handlers/surveys.py`."""
