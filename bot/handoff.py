"""Hand-off to a person, both ways — the use cases; `handlers/staff/handoff.py` is the Telegram side. No Telegram.

Out: a handed-off question (`Questions.ask` after "talk to a person", or `Handoffs.request`) is posted to
STAFF_CHAT_ID — or, when that is unset, to each admin's private chat — saying who asked and what; where each copy
landed (chat id, message id) is stored in `handoff_deliveries`.

Back: a staff member replies to such a message; the reply is sent to the applicant with a short prefix in the
applicant's language, the request is marked answered and the action audited.

Every Telegram call goes through the `send` callback and happens outside any unit of work: what is needed is read
and the transaction closed first, and what happened is recorded in a new one afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from .accounts import preferred_language
from .config import Settings
from .db.models import HandoffRequest
from .formatting import escape, escape_shortened, plain_block
from .i18n import Translator
from .uow import UnitOfWorkFactory
from .vocabulary import HandoffStatus

log = logging.getLogger(__name__)

MAX_QUESTION_SHOWN = 3000  # characters of the applicant's question in the staff message (all of it is stored)
PREFIX_EXCERPT = 80  # characters of the question quoted back to the applicant above the staff reply
TELEGRAM_TEXT_LIMIT = 4096

# send(chat id, HTML text) -> the sent message's id, or None when it could not be delivered (already logged)
SendText = Callable[[int, str], Awaitable[int | None]]


@dataclass(frozen=True)
class Applicant:
    """Who asked, as Telegram shows them (never stored: only shown to staff)."""

    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None


class RequestState(StrEnum):
    CREATED = "created"
    ALREADY = "already"  # an open request for this question exists
    STALE = "stale"  # not the user's question


@dataclass(frozen=True)
class Requested:
    state: RequestState
    language: str | None = None
    request_id: int | None = None


class ReplyState(StrEnum):
    NOT_HANDOFF = "not_handoff"  # not a reply to a hand-off message we know
    TEXT_ONLY = "text_only"  # only text can be forwarded
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Replied:
    state: ReplyState
    staff_language: str
    request_id: int | None = None


def excerpt(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def who(applicant: Applicant | None, unknown: str) -> str:
    if applicant is None:
        return unknown
    shown = escape(applicant.first_name or "")
    if applicant.last_name:
        shown += " " + escape(applicant.last_name)
    if applicant.username:
        shown += f" @{escape(applicant.username)}"
    return shown.strip() or unknown


class Handoffs:
    def __init__(self, uow: UnitOfWorkFactory, settings: Settings, texts: Translator) -> None:
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
            request = uow.handoffs.add(HandoffRequest(question_id=question.id, user_id=question.user_id,
                                                      chat_id=question.chat_id, text=question.text,
                                                      language=question.language))
            await uow.commit()
            return Requested(RequestState.CREATED, question.language, request.id)

    async def notify_staff(self, request_id: int, applicant: Applicant | None, send: SendText) -> int:
        """Post request `request_id` to the staff chat (or each admin); returns how many copies landed."""
        settings, texts = self._settings, self._texts
        targets = [settings.staff_chat_id] if settings.staff_chat_id is not None else sorted(settings.admin_ids)
        if not targets:
            log.warning("handoff %s: neither STAFF_CHAT_ID nor ADMIN_IDS is set; nobody is told", request_id)
            return 0
        async with self._uow() as uow:
            request = await uow.handoffs.get(request_id)
            if request is None:
                return 0
            languages = {
                chat_id: settings.default_language if chat_id == settings.staff_chat_id
                else preferred_language(await uow.users.get(chat_id), None, settings.default_language)
                for chat_id in targets
            }
        # shortened before escaping, counted in escaped characters (a question of "&&&…" is five times longer escaped)
        question = escape_shortened(request.text, MAX_QUESTION_SHOWN, collapse=False)
        landed: list[tuple[int, int]] = []
        for chat_id, language in languages.items():
            text = texts(language, "staff.handoff.new", id=request.id,
                         who=who(applicant, texts(language, "staff.handoff.unknown_user")),
                         user_id=request.user_id if request.user_id is not None else "—",
                         lang=escape(request.language), question=question)
            message_id = await send(chat_id, text)
            if message_id is not None:
                landed.append((chat_id, message_id))
        if landed:
            async with self._uow() as uow:
                for chat_id, message_id in landed:
                    uow.handoff_deliveries.add(request.id, chat_id, message_id)
                await uow.commit()
        else:
            log.error("handoff %s reached no staff chat; it stays open in the database", request_id)
        return len(landed)

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
