"""Hand-off to a person, both ways — the use cases; `handlers/staff/handoff.py` is the Telegram side. No Telegram.

Out: a handed-off question (`Questions.ask` after "talk to a person", or `Handoffs.request`) is posted to
STAFF_CHAT_ID — or, when that is unset, to each admin's private chat — under its reference number (#id), with its
language and text: never the applicant's name, @username or id. Where each copy landed (chat id, message id) is
stored in `handoff_deliveries` (a reply is routed by it; /forget edits the copies to "removed").

Delivery is not a one-shot: a request stays *undelivered* (`delivered_at` NULL) until a copy lands. The first try
happens right away; a job (`retry_undelivered`) tries again with back-off — a minute, then 2, 4… up to an hour —
for as long as the request is open. Each try first *claims* the request (`claimed_until`, an expiring lease), so
two bot processes never post the same request twice, and a process that dies mid-send only delays it. When the
staff group has become a supergroup (Telegram's ChatMigrated), the post goes to the new chat, the move is stored
(`staff_chat_moves`) and every open request whose copy sat in the old group is posted again.

Back: a staff member replies to such a message; the reply is sent to the applicant with a short prefix in the
applicant's language, the request is marked answered and the action audited. In the staff group only ADMIN_IDS
and STAFF_IDS may answer (group membership alone is not enough).

Every Telegram call goes through a callback and happens outside any unit of work: what is needed is read and the
transaction closed first, and what happened is recorded in a new one afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .accounts import preferred_language
from .config import Settings
from .db.models import HandoffRequest, utcnow
from .formatting import escape, escape_shortened, plain_block
from .i18n import Translator
from .uow import UnitOfWork, UnitOfWorkFactory
from .vocabulary import HandoffStatus

log = logging.getLogger(__name__)

MAX_QUESTION_SHOWN = 3000  # characters of the applicant's question in the staff message (all of it is stored)
PREFIX_EXCERPT = 80  # characters of the question quoted back to the applicant above the staff reply
TELEGRAM_TEXT_LIMIT = 4096
CLAIM = timedelta(minutes=5)  # how long one process may hold a request it is posting
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
RETRY_BATCH = 20

# send(chat id, HTML text) -> the sent message's id, or None when it could not be delivered (already logged)
SendText = Callable[[int, str], Awaitable[int | None]]
# post(chat id, HTML text) -> (chat id it landed in, message id), or None. The chat differs from the one asked for
# when Telegram said the group had become a supergroup and the post was resent there.
PostToStaff = Callable[[int, str], Awaitable[tuple[int, int] | None]]


def retry_delay(attempts: int) -> timedelta:
    """After `attempts` failed tries: 1 min, 2, 4, 8… at most an hour."""
    delay: timedelta = FIRST_RETRY * (2 ** max(0, min(attempts - 1, 12)))
    return min(delay, MAX_RETRY)


class RequestState(StrEnum):
    CREATED = "created"
    ALREADY = "already"  # an open request for this question exists
    TOO_MANY = "too_many"  # the user already has the most open requests allowed
    STALE = "stale"  # not the user's question


@dataclass(frozen=True)
class Requested:
    state: RequestState
    language: str | None = None
    request_id: int | None = None


class ReplyState(StrEnum):
    NOT_HANDOFF = "not_handoff"  # not a reply to a hand-off message we know
    NOT_STAFF = "not_staff"  # a reply in the staff group by someone in neither ADMIN_IDS nor STAFF_IDS
    TEXT_ONLY = "text_only"  # only text can be forwarded
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Replied:
    state: ReplyState
    staff_language: str
    request_id: int | None = None


@dataclass(frozen=True)
class OpenHandoff:
    """An open request as /handoffs shows it."""

    id: int
    text: str
    language: str
    created_at: datetime
    delivered: bool
    attempts: int
    next_attempt_at: datetime | None


def excerpt(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class Handoffs:
    def __init__(self, uow: UnitOfWorkFactory, settings: Settings, texts: Translator, max_open: int = 3) -> None:
        self._max_open = max_open
        self._uow = uow
        self._settings = settings
        self._texts = texts

    async def request(self, user_id: int, question_id: int) -> Requested:
        """"Talk to a person" under an unanswered question: a hand-off request for it (once)."""
        async with self._uow() as uow:
            question = await uow.questions.get(question_id)
            if question is None or question.user_id != user_id:
                return Requested(RequestState.STALE)
            if await uow.handoffs.open_for_question(question.id) is not None:
                return Requested(RequestState.ALREADY, question.language)
            if await uow.handoffs.open_count(user_id) >= self._max_open:
                return Requested(RequestState.TOO_MANY, question.language)
            request = uow.handoffs.add(HandoffRequest(question_id=question.id, user_id=question.user_id,
                                                      chat_id=question.chat_id, text=question.text,
                                                      language=question.language))
            await uow.commit()
            return Requested(RequestState.CREATED, question.language, request.id)

    async def staff_chats(self) -> frozenset[int]:
        """STAFF_CHAT_ID and every chat it moved to (a group that became a supergroup); empty when unset."""
        if self._settings.staff_chat_id is None:
            return frozenset()
        async with self._uow() as uow:
            return frozenset(await uow.handoffs.chat_chain(self._settings.staff_chat_id))

    async def _staff_chat(self, uow: UnitOfWork) -> int | None:
        if self._settings.staff_chat_id is None:
            return None
        return (await uow.handoffs.chat_chain(self._settings.staff_chat_id))[-1]

    async def chat_moved(self, old_chat_id: int, new_chat_id: int) -> bool:
        """Telegram says a group became a supergroup. If it is the staff group: remember the new id, and post every
        open request whose copy sat in the old group again (replies there can no longer reach the bot's posts)."""
        async with self._uow() as uow:
            if old_chat_id != await self._staff_chat(uow):
                return False
            reposted = await uow.handoffs.record_move(old_chat_id, new_chat_id)
            await uow.commit()
        log.warning("the staff group %s became supergroup %s; %d open hand-off(s) will be posted there again",
                    old_chat_id, new_chat_id, reposted)
        return True

    async def notify_staff(self, request_id: int, post: PostToStaff, now: datetime | None = None) -> int:
        """One try at posting request `request_id` to the staff chat (or each admin); returns how many copies
        landed. Nothing happens when it is delivered, answered, or being posted by another process."""
        settings, texts = self._settings, self._texts
        now = now or utcnow()
        async with self._uow() as uow:
            staff_chat = await self._staff_chat(uow)
            targets = [staff_chat] if staff_chat is not None else sorted(settings.admin_ids)
            if not targets:
                log.warning("handoff %s: neither STAFF_CHAT_ID nor ADMIN_IDS is set; nobody is told", request_id)
                return 0
            if not await uow.handoffs.claim(request_id, now, now + CLAIM):
                return 0  # delivered, answered, gone, or another process is posting it
            request = await uow.handoffs.get(request_id)
            if request is None:
                return 0
            languages = {
                chat_id: settings.default_language if chat_id == staff_chat
                else preferred_language(await uow.users.get(chat_id), None, settings.default_language)
                for chat_id in targets
            }
            await uow.commit()
        # shortened before escaping, counted in escaped characters (a question of "&&&…" is five times longer escaped)
        question = escape_shortened(request.text, MAX_QUESTION_SHOWN, collapse=False)
        landed: list[tuple[int, int, int]] = []  # (chat asked for, chat landed in, message id)
        for chat_id, language in languages.items():
            text = texts(language, "staff.handoff.new", id=request.id, lang=escape(request.language), question=question)
            posted = await post(chat_id, text)
            if posted is not None:
                landed.append((chat_id, *posted))
        async with self._uow() as uow:
            for asked, chat_id, _message_id in landed:
                if asked != chat_id and asked == staff_chat:  # the staff group had become a supergroup
                    await uow.handoffs.record_move(asked, chat_id)
            for _asked, chat_id, message_id in landed:
                uow.handoff_deliveries.add(request.id, chat_id, message_id)
            attempts = await uow.handoffs.finish_try(request.id, now, delivered=bool(landed), retry_delay=retry_delay)
            await uow.commit()
        if not landed:
            log.error("handoff %s reached no staff chat (try %d); it stays open and is retried", request_id, attempts)
        return len(landed)

    async def retry_undelivered(self, post: PostToStaff, now: datetime | None = None) -> int:
        """The job: one more try for every open request that no staff chat has yet and whose back-off is over;
        returns how many were delivered now."""
        now = now or utcnow()
        if self._settings.staff_chat_id is None and not self._settings.admin_ids:
            return 0  # nobody to tell (said once, when the request was made)
        async with self._uow() as uow:
            due = await uow.handoffs.due(now, RETRY_BATCH)
        delivered = 0
        for request_id in due:
            delivered += await self.notify_staff(request_id, post, now) > 0
        return delivered

    async def open_requests(self, limit: int) -> list[OpenHandoff]:
        """/handoffs: the open requests, oldest first (undelivered ones are what staff must know about)."""
        async with self._uow() as uow:
            rows = await uow.handoffs.open_requests(limit)
        return [OpenHandoff(row.id, row.text, row.language, row.created_at, row.delivered_at is not None,
                            row.attempts or 0, row.next_attempt_at) for row in rows]

    async def reply(
        self, chat_id: int, replied_to: int, staff_id: int, staff_code: str | None, in_staff_group: bool,
        text: str | None, send: SendText,
    ) -> Replied:
        """A staff member's reply to message `replied_to` in chat `chat_id`: delivered to the applicant if that
        message is a hand-off we posted."""
        settings = self._settings
        async with self._uow() as uow:
            found = await uow.handoff_deliveries.find(chat_id, replied_to)
            staff_language = (settings.default_language if in_staff_group else preferred_language(
                await uow.users.get(staff_id), staff_code, settings.default_language))
        if found is None:
            return Replied(ReplyState.NOT_HANDOFF, staff_language)
        request = found[1]
        if staff_id not in (settings.staff_repliers if in_staff_group else settings.admin_ids):
            log.info("a reply to handoff %s by %s, who is not staff, was not delivered", request.id, staff_id)
            return Replied(ReplyState.NOT_STAFF, staff_language, request.id)
        if not text:
            return Replied(ReplyState.TEXT_ONLY, staff_language, request.id)
        prefix = self._texts(request.language, "staff.handoff.reply_prefix",
                             question=escape_shortened(request.text, PREFIX_EXCERPT))
        pieces = plain_block(text, TELEGRAM_TEXT_LIMIT - len(prefix) - 2)
        delivered = await send(request.chat_id, f"{prefix}\n\n{pieces[0]}") is not None
        for piece in pieces[1:] if delivered else []:
            delivered = await send(request.chat_id, piece) is not None and delivered
        async with self._uow() as uow:
            if delivered:
                stored = await uow.handoffs.get(request.id)
                if stored is not None:
                    stored.status = HandoffStatus.ANSWERED
            uow.audit.record(staff_id, "handoff_reply", handoff_id=request.id, chat=chat_id, delivered=delivered)
            await uow.commit()
        if delivered:
            log.info("handoff %s answered by staff %s", request.id, staff_id)
        return Replied(ReplyState.DELIVERED if delivered else ReplyState.FAILED, staff_language, request.id)
