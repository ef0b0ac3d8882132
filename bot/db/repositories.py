"""Repositories: load and add rows inside a session they are given. They never commit — the unit of
work does, once per Telegram update, so an update's changes land together or not at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    CursorResult,
    DateTime,
    String,
    Table,
    Update,
    bindparam,
    exists,
    func,
    insert,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.vocabulary import HandoffStatus

from .inbox import mark_processed
from .models import HandoffDelivery, HandoffRequest, Question, Rating, StaffChatMove, User, utcnow

MAX_CHAT_MOVES = 5  # a group becomes a supergroup once; a longer chain means a loop in the table


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> User | None:
        return await self._session.get(User, user_id)

    async def touch(self, user_id: int, telegram_language: str | None) -> User:
        """The user's row, created on first contact; refreshes Telegram's language code and clears a "blocked"
        mark (set when an invitation got 403)."""
        user = await self.get(user_id)
        if user is None:
            user = User(id=user_id, telegram_language=telegram_language)
            self._session.add(user)
        else:
            if telegram_language:
                user.telegram_language = telegram_language
            user.last_seen_at = utcnow()
            user.blocked_at = None  # writing to the bot again: not blocked (any more)
        return user


    async def seen(self, user_id: int, telegram_language: str | None, **changes: Any) -> bool:
        """`touch` in one UPDATE for a user who exists (no row loaded), setting `changes` (column → value) too.
        False: no such user yet — nothing written; call `touch` to create the row."""
        result = await self._session.execute(seen(user_id, utcnow(), telegram_language or None, **changes))
        return bool(cast(CursorResult[Any], result).rowcount)


def seen(user_id: Any, now: Any, telegram_language: Any, **changes: Any) -> Update:
    """The statement of `UserRepository.seen` (values or bound parameters; a None language keeps the stored one):
    also part of `QuestionRepository.record_known`'s single statement, so both write the same."""
    values = {"last_seen_at": now, "blocked_at": null(),
              "telegram_language": func.coalesce(telegram_language, User.telegram_language), **changes}
    return update(User).where(User.id == user_id).values(**values).execution_options(synchronize_session=False)


@dataclass(frozen=True)
class AskingState:
    """What a new question needs to know about its asker, read in one statement (`QuestionRepository.asking`)."""

    language: str | None  # chosen with /language (None: no row yet, or never chosen)
    awaiting: str | None
    awaiting_since: datetime | None
    recent: int  # questions since the flood-limit window began
    last_entry_id: str | None  # the latest answered question (the context of a follow-up)
    last_language: str | None
    last_at: datetime | None


def _asking() -> Any:
    user_id, since = bindparam("user_id", type_=BigInteger), bindparam("since", type_=DateTime(timezone=True))

    def of_user(column: Any) -> Any:
        return select(column).where(User.id == user_id).scalar_subquery()

    def of_last(column: Any) -> Any:
        return (select(column).where(Question.user_id == user_id, Question.entry_id.is_not(None))
                .order_by(Question.created_at.desc(), Question.id.desc()).limit(1).scalar_subquery())

    recent = (select(func.count()).select_from(Question)
              .where(Question.user_id == user_id, Question.created_at >= since).scalar_subquery())
    return select(of_user(User.language), of_user(User.awaiting), of_user(User.awaiting_since), recent,
                  of_last(Question.entry_id), of_last(Question.language), of_last(Question.created_at))


_ASKING = _asking()

# A question of a user who has a row, recorded in one statement on PostgreSQL (`QuestionRepository.record_known`):
# the user's row touched (`seen`), the question inserted and the update being processed marked as processed
# (`inbox.mark_processed`), atomically (all parts of one statement commit together) and without BEGIN/COMMIT — one
# round trip instead of five. No row for the user: nothing is written (each part depends on `seen`) and no id comes
# back. Built once (building is most of a statement's cost) from the same statements the separate path runs.
_QUESTION_COLUMNS = ("chat_id", "text", "language", "intent", "confidence", "engine", "outcome", "entry_id",
                     "offered")


def _record_known() -> Any:
    # Parameters are named p_…: a Core UPDATE sets every column whose name is a key of the parameters it runs with.
    table = cast(Table, Question.__table__)
    now = bindparam("p_now", type_=DateTime(timezone=True))
    touch = seen(bindparam("p_user_id", type_=BigInteger), now, bindparam("p_telegram_language", type_=String),
                 awaiting=bindparam("p_awaiting", type_=String),
                 awaiting_since=bindparam("p_awaiting_since", type_=DateTime(timezone=True)))
    seen_cte = touch.returning(User.id).cte("seen")
    done = mark_processed(bindparam("p_update_id", type_=BigInteger), now).where(exists(select(seen_cte.c.id)))
    row = select(seen_cte.c.id, *(bindparam(f"p_{name}", type_=table.c[name].type) for name in _QUESTION_COLUMNS), now)
    return (insert(table).from_select(["user_id", *_QUESTION_COLUMNS, "created_at"], row)
            .returning(table.c.id).add_cte(done.cte("done")))


_RECORD_KNOWN = _record_known()


class QuestionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def asking(self, user_id: int, since: datetime) -> AskingState:
        """The user's row (`users.get`), how many questions since `since` and the last answered one — in one
        round trip (the statement is built once: building it is most of its cost)."""
        row = (await self._session.execute(_ASKING, {"user_id": user_id, "since": since})).one()
        return AskingState(*row)

    def add(self, question: Question) -> Question:
        self._session.add(question)
        return question

    async def record_known(self, question: Question, telegram_language: str | None, awaiting: str | None,
                           awaiting_since: datetime | None, update_id: int | None) -> int | None:
        """On PostgreSQL, in one statement: `UserRepository.seen` (with `awaiting`), `add` of `question` and the
        inbox mark of `update_id` (None: no update to mark). Returns the question's id; None — and nothing
        written — when the user has no row yet or the database is not PostgreSQL (then use `seen`/`touch`, `add`
        and a commit). `question` itself is not added to the session."""
        if self._session.get_bind().dialect.name != "postgresql":
            return None
        values = {name: getattr(question, name) for name in _QUESTION_COLUMNS}
        values.update(now=utcnow(), user_id=question.user_id, telegram_language=telegram_language,
                      awaiting=awaiting, awaiting_since=awaiting_since, update_id=update_id)
        row = (await self._session.execute(_RECORD_KNOWN, {f"p_{name}": value for name, value in values.items()})).first()
        return None if row is None else int(row[0])

    async def get(self, question_id: int) -> Question | None:
        return await self._session.get(Question, question_id)


class RatingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def for_question(self, question_id: int) -> Rating | None:
        result = await self._session.execute(select(Rating).where(Rating.question_id == question_id))
        return result.scalar_one_or_none()

    async def set(self, question: Question, value: int) -> Rating:
        rating = await self.for_question(question.id)
        if rating is None:
            rating = Rating(question_id=question.id, user_id=question.user_id, entry_id=question.entry_id, value=value)
            self._session.add(rating)
        else:
            rating.value = value
            rating.updated_at = utcnow()
        return rating


class HandoffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, request: HandoffRequest) -> HandoffRequest:
        self._session.add(request)
        return request

    async def get(self, request_id: int) -> HandoffRequest | None:
        return await self._session.get(HandoffRequest, request_id)

    async def open_count(self, user_id: int) -> int:
        return (await self._session.execute(
            select(func.count()).select_from(HandoffRequest)
            .where(HandoffRequest.user_id == user_id, HandoffRequest.status == HandoffStatus.OPEN)
        )).scalar_one()

    async def open_for_question(self, question_id: int) -> HandoffRequest | None:
        result = await self._session.execute(
            select(HandoffRequest).where(HandoffRequest.question_id == question_id, HandoffRequest.status == HandoffStatus.OPEN)
        )
        return result.scalars().first()

    # --- delivery to staff: claims, tries, back-off ---------------------------------------------------------

    async def claim(self, request_id: int, now: datetime, until: datetime) -> bool:
        """Take an open, undelivered request for posting; True only for the one process whose UPDATE won (a claim
        left by a process that died expires at `claimed_until`)."""
        result = await self._session.execute(
            update(HandoffRequest)
            .where(
                HandoffRequest.id == request_id,
                HandoffRequest.status == HandoffStatus.OPEN,
                HandoffRequest.delivered_at.is_(None),
                or_(HandoffRequest.claimed_until.is_(None), HandoffRequest.claimed_until < now),
            )
            .values(claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        return bool(cast(CursorResult[Any], result).rowcount == 1)

    async def finish_try(
        self, request_id: int, now: datetime, delivered: bool, retry_delay: Callable[[int], timedelta]
    ) -> int:
        """Record a try: delivered, or one more failed attempt and when to try next. Releases the claim; returns
        the number of failed attempts so far."""
        request = await self.get(request_id)
        if request is None:
            return 0
        request.claimed_until = None
        if delivered:
            request.delivered_at = now
            request.next_attempt_at = None
        else:
            request.attempts = (request.attempts or 0) + 1
            request.next_attempt_at = now + retry_delay(request.attempts)
        return request.attempts or 0

    async def due(self, now: datetime, limit: int) -> list[int]:
        """Open requests no staff chat has yet, whose back-off is over and that nobody is posting."""
        result = await self._session.execute(
            select(HandoffRequest.id)
            .where(
                HandoffRequest.status == HandoffStatus.OPEN,
                HandoffRequest.delivered_at.is_(None),
                or_(HandoffRequest.next_attempt_at.is_(None), HandoffRequest.next_attempt_at <= now),
                or_(HandoffRequest.claimed_until.is_(None), HandoffRequest.claimed_until < now),
            )
            .order_by(HandoffRequest.id)
            .limit(limit)
        )
        return list(result.scalars())

    async def open_requests(self, limit: int) -> list[HandoffRequest]:
        result = await self._session.execute(
            select(HandoffRequest).where(HandoffRequest.status == HandoffStatus.OPEN).order_by(HandoffRequest.id)
            .limit(limit)
        )
        return list(result.scalars())

    # --- the staff group's moves (group -> supergroup) ----------------------------------------------------------

    async def chat_chain(self, chat_id: int) -> list[int]:
        """`chat_id` and every chat it moved to, in order; the last one is where the staff group is now."""
        chain = [chat_id]
        for _ in range(MAX_CHAT_MOVES):
            move = await self._session.get(StaffChatMove, chain[-1])
            if move is None or move.new_chat_id in chain:
                break
            chain.append(move.new_chat_id)
        return chain

    async def record_move(self, old_chat_id: int, new_chat_id: int) -> int:
        """Remember the move (once) and make every open request posted only in the old chat undelivered again, so
        the retry job posts it in the new one; returns how many."""
        if await self._session.get(StaffChatMove, old_chat_id) is None:
            self._session.add(StaffChatMove(old_chat_id=old_chat_id, new_chat_id=new_chat_id))
        in_old = select(HandoffDelivery.handoff_id).where(HandoffDelivery.staff_chat_id == old_chat_id)
        in_new = select(HandoffDelivery.handoff_id).where(HandoffDelivery.staff_chat_id == new_chat_id)
        result = await self._session.execute(
            update(HandoffRequest)
            .where(HandoffRequest.status == HandoffStatus.OPEN, HandoffRequest.id.in_(in_old),
                   HandoffRequest.id.not_in(in_new))
            .values(delivered_at=None, next_attempt_at=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return cast(CursorResult[Any], result).rowcount or 0
