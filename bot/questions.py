"""Question use cases: recording what applicants asked and what the bot did with it. No Telegram.

Each call is one unit of work; the decision itself is `bot.qa.QAService` (what to answer) — this module
stores the question, the "did you mean" choice, a rating, and moves the user into / out of "waiting for a
question for staff" (`bot.handoff` then records and forwards that question).
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from knowledge.loader import KnowledgeBase
from knowledge.schema import Entry

from .accounts import preferred_language
from .db.models import HandoffRequest, Question, as_utc
from .db.repositories import AskingState
from .followup import Context, answer_in_context
from .qa import HUMAN_HANDOFF, QAProvider, QAResult, QAService
from .uow import UnitOfWork, UnitOfWorkFactory
from .vocabulary import Awaiting, Engine, QuestionOutcome

log = logging.getLogger(__name__)

MAX_STORED_TEXT = 4096


class Limit(StrEnum):
    QUESTIONS = "questions"  # more than `burst` questions within burst / per_second seconds
    HANDOFFS = "handoffs"  # already `open_handoffs` open requests to staff


@dataclass(frozen=True)
class FloodLimits:
    """Per user, counted from the database (so every replica sees the same counts)."""

    per_second: float = 1.0
    burst: int = 5
    open_handoffs: int = 3


def is_blank(text: str | None) -> bool:
    """No letter, digit, symbol or punctuation: only spaces, line breaks, control and invisible format characters
    (zero-width spaces, direction marks). Not a question — nothing to store, nothing to ask the NLU."""
    return not text or all(unicodedata.category(character)[0] in "ZC" for character in text)


_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def clean_text(text: str) -> str:
    """A user's text as stored: without control characters (tabs and line breaks kept). PostgreSQL refuses NUL in
    text columns, and none of them mean anything in a question."""
    return text.translate(_CONTROL)


@dataclass(frozen=True)
class Asked:
    """A free-text message recorded: either a question answered by `result`, or (result None) a question for
    staff, recorded as hand-off request `handoff_id`."""

    question_id: int
    language: str
    result: QAResult | None = None
    handoff_id: int | None = None
    limited: Limit | None = None  # refused by a flood limit: nothing recorded


@dataclass(frozen=True)
class Owned:
    """A question a button refers to, detached (safe to use after the unit of work)."""

    id: int
    language: str
    entry_id: str | None


class Questions:
    def __init__(
        self, uow: UnitOfWorkFactory, qa: QAProvider, default_language: str, followup_minutes: float = 10.0,
        limits: FloodLimits | None = None, handoff_wait_minutes: float = 30.0,
    ) -> None:
        self._limits = limits or FloodLimits()
        self._uow = uow
        self._qa = qa
        self._default_language = default_language
        self._followup_minutes = followup_minutes
        self._handoff_wait = timedelta(minutes=handoff_wait_minutes)

    def _still_waiting(self, since: datetime | None, now: datetime) -> bool:
        """"Waiting for a question for staff" holds for HANDOFF_WAIT_MINUTES after the user asked for a person;
        after that their next text is an ordinary question again."""
        return since is not None and now - as_utc(since) <= self._handoff_wait

    async def ask(self, user_id: int, chat_id: int, text: str, telegram_code: str | None) -> Asked:
        """A free-text message: a question for the knowledge base (read as a follow-up to the user's last
        answer when that is recent) — or, after the user asked for a person, the question for staff (recorded
        as a hand-off request). Read (no write), classify with no transaction open, then one short write — so
        no database connection waits for the NLU. Too many questions too fast, or too many open requests to
        staff: `limited` says which, nothing is recorded. The question is answered from one knowledge base to the
        end, even when staff's teaching reloads it meanwhile. A blank text is refused (ValueError): handlers reply
        without calling this."""
        if is_blank(text):
            raise ValueError("a blank text is not a question")
        qa = self._qa()
        text = clean_text(text).strip()[:MAX_STORED_TEXT]
        now = datetime.now(UTC)
        since = now - timedelta(seconds=self._limits.burst / self._limits.per_second)
        async with self._uow(read_only=True) as uow:  # one statement, no BEGIN/ROLLBACK round trips on PostgreSQL
            state = await uow.questions.asking(user_id, since)
        fallback = preferred_language(state, telegram_code, self._default_language)
        if state.recent >= self._limits.burst:
            return Asked(0, fallback, limited=Limit.QUESTIONS)
        for_staff = state.awaiting == Awaiting.HANDOFF and self._still_waiting(state.awaiting_since, now)
        context = None if for_staff else self._context(state, qa.kb, now)
        if for_staff:
            async with self._uow() as uow:
                return await self._for_staff(uow, qa, user_id, chat_id, text, telegram_code, fallback)
        result = await answer_in_context(qa, text, fallback, context)
        handoff = result.kind == "meta" and result.intent == HUMAN_HANDOFF  # the next text is for staff
        # Otherwise a pending wait for a question for staff had expired: this was a question.
        awaiting = Awaiting.HANDOFF if handoff else None
        awaiting_since = datetime.now(UTC) if handoff else None
        question = Question(
            user_id=user_id,
            chat_id=chat_id,
            text=text,
            language=result.language,
            intent=result.intent,
            confidence=round(result.confidence, 4),
            engine=result.engine,
            outcome=result.outcome,
            entry_id=result.entry.id if result.entry else None,
            offered=" ".join(entry.id for entry in result.suggestions) or None,
        )
        # A known user on PostgreSQL: the user's row, the question and the update's "processed" mark in one
        # statement (one round trip instead of five: the busiest write of the bot).
        async with self._uow(one_statement=True) as uow:
            question_id = await uow.questions.record_known(question, telegram_code, awaiting, awaiting_since,
                                                          uow.unmarked_update)
            if question_id is not None:
                uow.marked()
        if question_id is None:
            async with self._uow() as uow:  # first contact (or not PostgreSQL): the user's row, then the question
                if not await uow.users.seen(user_id, telegram_code, awaiting=awaiting, awaiting_since=awaiting_since):
                    user = await uow.users.touch(user_id, telegram_code)
                    user.awaiting, user.awaiting_since = awaiting, awaiting_since
                uow.questions.add(question)
                await uow.flush()
                await uow.commit()
                question_id = question.id
        log.info("question %s: %s %s %.2f via %s", question_id, result.kind, result.intent, result.confidence,
                 result.engine)
        return Asked(question_id, result.language, result=result)

    async def _for_staff(
        self, uow: UnitOfWork, qa: QAService, user_id: int, chat_id: int, text: str, telegram_code: str | None,
        fallback: str,
    ) -> Asked:
        """The question after "talk to a person": a hand-off request — unless the user has too many open."""
        user = await uow.users.touch(user_id, telegram_code)
        user.awaiting = user.awaiting_since = None
        language = qa.language_of(text, fallback)
        if await uow.handoffs.open_count(user_id) >= self._limits.open_handoffs:
            await uow.commit()
            return Asked(0, language, limited=Limit.HANDOFFS)
        question = uow.questions.add(
            Question(user_id=user_id, chat_id=chat_id, text=text, language=language, intent=None,
                     confidence=0.0, engine=Engine.NONE, outcome=QuestionOutcome.HANDOFF)
        )
        await uow.flush()
        request = uow.handoffs.add(HandoffRequest(question_id=question.id, user_id=user_id, chat_id=chat_id,
                                                  text=text, language=language))
        await uow.commit()
        return Asked(question.id, language, handoff_id=request.id)

    def _context(self, state: AskingState, kb: KnowledgeBase, now: datetime) -> Context | None:
        """The user's last answer, if recent enough for a follow-up to lean on."""
        entry = kb.entry(state.last_entry_id) if state.last_entry_id else None
        if entry is None or state.last_language is None or state.last_at is None:
            return None
        context = Context(entry, state.last_language, as_utc(state.last_at))
        return context if context.is_fresh(now, self._followup_minutes) else None

    async def browse(self, user_id: int, chat_id: int, entry: Entry, telegram_code: str | None) -> Asked:
        """An entry opened from /topics: logged like a question (engine and outcome "browse"), so it can be rated."""
        async with self._uow() as uow:
            user = await uow.users.touch(user_id, telegram_code)
            language = preferred_language(user, telegram_code, self._default_language)
            question = uow.questions.add(
                Question(user_id=user_id, chat_id=chat_id, text=f"[topics] {entry.id}", language=language,
                         intent=entry.id, confidence=1.0, engine=Engine.BROWSE, outcome=QuestionOutcome.BROWSE,
                         entry_id=entry.id)
            )
            await uow.flush()
            await uow.commit()
        return Asked(question.id, language)

    async def pick(self, user_id: int, question_id: int, entry: Entry) -> Owned | None:
        """The user chose one of the "did you mean" entries. None: not their question, or not an entry that was
        offered for it (a stale or forged button)."""
        return await self._change(user_id, question_id, QuestionOutcome.CHOSEN, entry.id)

    async def none_fit(self, user_id: int, question_id: int) -> Owned | None:
        """None of the suggestions fit: the question is not covered. None: not their question, or no
        suggestions were offered for it (a forged button)."""
        return await self._change(user_id, question_id, QuestionOutcome.NONE_FIT)

    async def _change(
        self, user_id: int, question_id: int, outcome: QuestionOutcome, entry_id: str | None = None
    ) -> Owned | None:
        async with self._uow() as uow:
            question = await self._own(uow, user_id, question_id)
            offered = (question.offered or "").split() if question is not None else []
            if question is None or not offered or (entry_id is not None and entry_id not in offered):
                return None  # only the buttons the bot showed for this question can change its outcome
            question.outcome = outcome
            if entry_id is not None:
                question.entry_id = entry_id
            await uow.commit()
            return Owned(question.id, question.language, question.entry_id)

    async def rate(self, user_id: int, question_id: int, up: bool, known_entries: frozenset[str]) -> Owned | None:
        """👍/👎 on an answer (the last press wins). None: not their question, or no answer to rate."""
        async with self._uow() as uow:
            question = await self._own(uow, user_id, question_id)
            if question is None or question.entry_id is None or question.entry_id not in known_entries:
                return None
            await uow.ratings.set(question, 1 if up else -1)
            await uow.commit()
            return Owned(question.id, question.language, question.entry_id)

    @staticmethod
    async def _own(uow: UnitOfWork, user_id: int, question_id: int) -> Question | None:
        """The question a button refers to — only if it exists and belongs to whoever pressed the button."""
        question = await uow.questions.get(question_id)
        return question if question is not None and question.user_id == user_id else None
