"""Survey invitations (`/invite <survey>`): queued in the database, one row per recipient, sent at Telegram's
pace by any bot process, each recipient at most once (see `service.py`). No Telegram here."""
