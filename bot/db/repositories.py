"""Repositories: load and add rows inside a session they are given. They never commit — the unit of
work does, once per Telegram update, so an update's changes land together or not at all."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.vocabulary import HandoffStatus

from .models import HandoffRequest, Question, Rating, User, utcnow


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


class QuestionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, question: Question) -> Question:
        self._session.add(question)
        return question

    async def get(self, question_id: int) -> Question | None:
        return await self._session.get(Question, question_id)

    async def last_answered(self, user_id: int) -> Question | None:
        """The user's latest question that was answered with an entry (the context of a follow-up)."""
        result = await self._session.execute(
            select(Question)
            .where(Question.user_id == user_id, Question.entry_id.is_not(None))
            .order_by(Question.created_at.desc(), Question.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()


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

    async def open_for_question(self, question_id: int) -> HandoffRequest | None:
        result = await self._session.execute(
            select(HandoffRequest).where(HandoffRequest.question_id == question_id, HandoffRequest.status == HandoffStatus.OPEN)
        )
        return result.scalars().first()
