"""Personal data use cases: what the bot stores about a user (/mydata) and deleting it (/forget). No Telegram.

The queries are `bot.db.personal_data.PersonalDataRepository` (which lists exactly what /forget deletes and
what it keeps); this module owns the unit of work and adds the user's survey respondent keys, so anonymous
responses are covered too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .accounts import preferred_language
from .db.models import utcnow
from .db.personal_data import UserData
from .i18n import Translator
from .surveys.engine import SurveyEngine
from .uow import UnitOfWorkFactory

# edit(chat id, message id, HTML text) -> whether Telegram took the edit (errors already logged by the caller)
EditText = Callable[[int, int, str], Awaitable[bool]]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Forgotten:
    language: str
    deleted: int | None  # rows deleted (None: the user chose to keep their data)
    posts_removed: int = 0  # staff-chat copies of their hand-offs edited to "removed"
    posts_left: int = 0  # copies that could not be edited (too old, deleted by staff, bot removed…)


class Privacy:
    def __init__(
        self, uow: UnitOfWorkFactory, surveys: SurveyEngine, default_language: str, texts: Translator | None = None,
        admin_ids: frozenset[int] = frozenset(),
    ) -> None:
        self._uow = uow
        self._surveys = surveys
        self._default_language = default_language
        self._texts = texts or Translator(default=default_language)
        self._admin_ids = admin_ids

    async def my_data(self, user_id: int, telegram_code: str | None) -> tuple[str, UserData]:
        """The reply language and everything held about the user: under their Telegram id and under their
        respondent keys (unfinished anonymous responses, "already answered" markers). Read only."""
        async with self._uow() as uow:
            data = await uow.personal_data.collect(user_id, self._surveys.respondent_keys(user_id))
            return preferred_language(data.user, telegram_code, self._default_language), data

    async def forget(
        self, user_id: int, telegram_code: str | None, confirmed: bool, edit: EditText | None = None
    ) -> Forgotten:
        """Delete everything that names the user (when confirmed), in one transaction; then (transaction closed)
        edit every copy of their hand-offs in staff chats to "[removed at the applicant's request]"."""
        async with self._uow() as uow:
            language = preferred_language(await uow.users.get(user_id), telegram_code, self._default_language)
            if not confirmed:
                return Forgotten(language, None)
            posts = await uow.personal_data.handoff_posts(user_id)
            post_languages = {
                chat: self._default_language if chat not in self._admin_ids
                else preferred_language(await uow.users.get(chat), None, self._default_language)
                for chat in {chat for chat, _ in posts}
            }
            counts = await uow.personal_data.forget(user_id, self._surveys.respondent_keys(user_id))
            await uow.commit()
        async with self._uow() as uow:
            await uow.personal_data.flush_deleted()
        log.info("forgot a user: %s", counts)
        removed = 0
        if edit is not None:
            for chat, message in posts:
                removed += await edit(chat, message, self._texts(post_languages[chat], "staff.handoff.removed"))
        return Forgotten(language, sum(counts.values()), removed, len(posts) - removed)

    async def purge(self, retention_days: float, now: datetime | None = None) -> dict[str, int]:
        """RETENTION_DAYS: questions, hand-off requests and audit details older than that are deleted/blanked."""
        cutoff = (now or utcnow()) - timedelta(days=retention_days)
        async with self._uow() as uow:
            counts = await uow.personal_data.purge_before(cutoff)
            await uow.commit()
        async with self._uow() as uow:
            await uow.personal_data.flush_deleted()
        if any(counts.values()):
            log.info("retention (%s days): %s", retention_days, counts)
        return counts

    # --- the respondent key (RESPONDENT_KEY_SECRET) -----------------------------------------------------------

    async def key_report(self) -> tuple[int, int]:
        """(unfinished survey responses, "already answered" markers) made by another secret than the current one."""
        async with self._uow() as uow:
            return await uow.surveys.key_report(self._surveys.key_id)

    async def adopt_keys(self) -> tuple[int, int]:
        """The secret is unchanged: label keys made before key ids were recorded with the current id."""
        async with self._uow() as uow:
            counts = await uow.surveys.adopt_keys(self._surveys.key_id)
            await uow.commit()
        return counts

    async def drop_other_keys(self) -> tuple[int, int]:
        """After a change of secret: delete unfinished responses and markers nobody can be matched to any more."""
        async with self._uow() as uow:
            counts = await uow.surveys.drop_other_keys(self._surveys.key_id)
            await uow.commit()
        return counts
