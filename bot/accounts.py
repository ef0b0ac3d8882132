"""Users as the bot knows them: their reply language, /start, /language. No Telegram."""

from __future__ import annotations

import re
from typing import Protocol

from .i18n import LANGUAGES
from .uow import UnitOfWorkFactory

DEEP_LINK_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
SURVEY_PAYLOAD = "survey_"  # t.me/<bot>?start=survey_<id> (handlers/surveys.py)


class Chosen(Protocol):
    """Anything that carries a user's /language choice (a `User` row, `bot.db.repositories.AskingState`)."""

    @property
    def language(self) -> str | None: ...


def preferred_language(user: Chosen | None, telegram_code: str | None, default: str) -> str:
    """The language to use when the message itself doesn't tell: the user's explicit /language choice,
    then Telegram's interface language, then the default. (An explicit choice beats the phone's locale.)"""
    if user is not None and user.language in LANGUAGES:
        return user.language
    code = (telegram_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else default


class Accounts:
    def __init__(self, uow: UnitOfWorkFactory, default_language: str) -> None:
        self._uow = uow
        self.default_language = default_language

    async def language(self, user_id: int | None, telegram_code: str | None) -> str:
        """The language for replying to this user (read only)."""
        async with self._uow() as uow:
            user = await uow.users.get(user_id) if user_id is not None else None
            return preferred_language(user, telegram_code, self.default_language)

    async def start(self, user_id: int, telegram_code: str | None, payload: str | None) -> str:
        """/start: the user's row (created on first contact), the deep-link payload kept, any "waiting for your
        text" dropped. Returns the reply language."""
        async with self._uow() as uow:
            user = await uow.users.touch(user_id, telegram_code)
            # A survey link is not kept: "opened survey X at 10:00:03" next to the user id would point at the
            # anonymous response started at 10:00:05 (issue 9).
            if payload and DEEP_LINK_PAYLOAD.fullmatch(payload) and not payload.startswith(SURVEY_PAYLOAD):
                user.start_payload = payload
            user.awaiting = user.awaiting_since = None
            language = preferred_language(user, telegram_code, self.default_language)
            await uow.commit()
        return language

    async def set_language(self, user_id: int, telegram_code: str | None, language: str) -> None:
        async with self._uow() as uow:
            user = await uow.users.touch(user_id, telegram_code)
            user.language = language
            await uow.commit()

    async def set_invitations(self, user_id: int, telegram_code: str | None, enabled: bool) -> str:
        """Opt out of survey invitations (/stop, the button under one) or back in. Returns the reply language."""
        async with self._uow() as uow:
            user = await uow.users.touch(user_id, telegram_code)
            user.invitations_off = not enabled
            language = preferred_language(user, telegram_code, self.default_language)
            await uow.commit()
        return language
