"""Personal data use cases: what the bot stores about a user (/mydata) and deleting it (/forget). No Telegram.

The queries are `bot.db.personal_data.PersonalDataRepository` (which lists exactly what /forget deletes and
what it keeps); this module owns the unit of work and adds the user's survey respondent keys, so anonymous
responses are covered too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .accounts import preferred_language
from .db.personal_data import UserData
from .surveys.engine import SurveyEngine
from .uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Forgotten:
    language: str
    deleted: int | None  # rows deleted (None: the user chose to keep their data)


class Privacy:
    def __init__(self, uow: UnitOfWorkFactory, surveys: SurveyEngine, default_language: str) -> None:
        self._uow = uow
        self._surveys = surveys
        self._default_language = default_language

    async def my_data(self, user_id: int, telegram_code: str | None) -> tuple[str, UserData]:
        """The reply language and everything stored under the user's Telegram id (read only)."""
        async with self._uow() as uow:
            data = await uow.personal_data.collect(user_id)
            return preferred_language(data.user, telegram_code, self._default_language), data

    async def forget(self, user_id: int, telegram_code: str | None, confirmed: bool) -> Forgotten:
        """Delete everything that names the user (when confirmed), in one transaction."""
        async with self._uow() as uow:
            language = preferred_language(await uow.users.get(user_id), telegram_code, self._default_language)
            if not confirmed:
                return Forgotten(language, None)
            counts = await uow.personal_data.forget(user_id, self._surveys.respondent_keys(user_id))
            await uow.commit()
        log.info("forgot a user: %s", counts)
        return Forgotten(language, sum(number for table, number in counts.items() if table != "survey_responses_unlinked"))
