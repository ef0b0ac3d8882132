"""Staff queries: read-only views over questions, ratings and survey responses, plus the handoff deliveries.

Like every repository they never commit. All SQL is portable (SQLite and PostgreSQL): grouping and counting
happen in the database, anything date-arithmetic (durations, medians) in Python.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    HandoffDelivery,
    HandoffRequest,
    Question,
    Rating,
    SurveyAnswer,
    SurveyResponse,
)
from bot.surveys.repository import SurveyRepository
from bot.vocabulary import ANSWERED, FALLBACK, TOPIC_OUTCOMES, Engine, HandoffStatus, ResponseStatus


@dataclass(frozen=True)
class UnansweredQuestion:
    id: int
    text: str
    language: str
    outcome: str
    intent: str | None
    confidence: float
    entry_id: str | None
    rating: int | None
    created_at: datetime


class ExportRow(NamedTuple):
    """One row of the export query: a completed response and one of its answers (None: no answers at all)."""

    response_id: int
    started_at: datetime
    completed_at: datetime | None
    language: str
    anonymous: bool
    question_id: str | None
    value: str | None
    skipped: bool | None


@dataclass(frozen=True)
class StoredResponse:
    id: int
    language: str
    anonymous: bool
    started_at: datetime
    completed_at: datetime | None
    answers: dict[str, tuple[str | None, bool]]  # question id -> (JSON value, skipped)


class StaffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- surveys: open/closed -----------------------------------------------------------------------------

    async def survey_states(self) -> dict[str, bool]:
        """Staff's open/closed overrides — the survey repository's, so there is one query for them."""
        return await SurveyRepository(self._session).states()

    # --- surveys: counts and answers ----------------------------------------------------------------------

    async def response_counts(self) -> dict[str, dict[str, int]]:
        """survey id -> status -> number of responses."""
        rows = await self._session.execute(
            select(SurveyResponse.survey_id, SurveyResponse.status, func.count())
            .group_by(SurveyResponse.survey_id, SurveyResponse.status)
        )
        counts: dict[str, dict[str, int]] = {}
        for survey_id, status, number in rows.all():
            counts.setdefault(survey_id, {})[status] = number
        return counts

    async def completion_times(self, survey_id: str) -> list[tuple[datetime, datetime]]:
        """(started_at, completed_at) of every completed response."""
        rows = await self._session.execute(
            select(SurveyResponse.started_at, SurveyResponse.completed_at).where(
                SurveyResponse.survey_id == survey_id,
                SurveyResponse.status == ResponseStatus.COMPLETED,
                SurveyResponse.completed_at.is_not(None),
            )
        )
        return [(started, completed) for started, completed in rows.all()]

    async def answer_value_counts(
        self, survey_id: str, question_ids: Iterable[str]
    ) -> list[tuple[str, str | None, bool, int]]:
        """(question id, JSON value, skipped, count) over completed responses, grouped in the database."""
        ids = list(question_ids)
        if not ids:
            return []
        rows = await self._session.execute(
            select(SurveyAnswer.question_id, SurveyAnswer.value, SurveyAnswer.skipped, func.count())
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(
                SurveyResponse.survey_id == survey_id,
                SurveyResponse.status == ResponseStatus.COMPLETED,
                SurveyAnswer.question_id.in_(ids),
            )
            .group_by(SurveyAnswer.question_id, SurveyAnswer.value, SurveyAnswer.skipped)
        )
        return [(qid, value, bool(skipped), number) for qid, value, skipped, number in rows.all()]

    async def answer_counts(self, survey_id: str, question_ids: Iterable[str]) -> list[tuple[str, bool, int]]:
        """(question id, skipped, count) over completed responses — for text questions, whose values differ."""
        ids = list(question_ids)
        if not ids:
            return []
        rows = await self._session.execute(
            select(SurveyAnswer.question_id, SurveyAnswer.skipped, func.count())
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(
                SurveyResponse.survey_id == survey_id,
                SurveyResponse.status == ResponseStatus.COMPLETED,
                SurveyAnswer.question_id.in_(ids),
            )
            .group_by(SurveyAnswer.question_id, SurveyAnswer.skipped)
        )
        return [(qid, bool(skipped), number) for qid, skipped, number in rows.all()]

    async def count_completed(self, survey_id: str) -> int:
        result = await self._session.execute(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.survey_id == survey_id, SurveyResponse.status == ResponseStatus.COMPLETED)
        )
        return int(result.scalar_one())

    async def latest_completed(self, survey_id: str, offset: int, limit: int) -> list[StoredResponse]:
        """Completed responses, newest first, with their answers."""
        result = await self._session.execute(
            select(SurveyResponse)
            .where(SurveyResponse.survey_id == survey_id, SurveyResponse.status == ResponseStatus.COMPLETED)
            .order_by(SurveyResponse.completed_at.desc(), SurveyResponse.id.desc())
            .offset(offset)
            .limit(limit)
        )
        responses = list(result.scalars())
        answers: dict[int, dict[str, tuple[str | None, bool]]] = {response.id: {} for response in responses}
        if responses:
            rows = await self._session.execute(
                select(SurveyAnswer.response_id, SurveyAnswer.question_id, SurveyAnswer.value, SurveyAnswer.skipped)
                .where(SurveyAnswer.response_id.in_(list(answers)))
            )
            for response_id, question_id, value, skipped in rows.all():
                answers[response_id][question_id] = (value, bool(skipped))
        return [
            StoredResponse(r.id, r.language, bool(r.anonymous), r.started_at, r.completed_at, answers[r.id])
            for r in responses
        ]

    async def export_partitions(self, survey_id: str, size: int) -> AsyncIterator[Sequence[ExportRow]]:
        """Completed responses joined with their answers, ordered by response (one pass builds the rows),
        streamed from the database in partitions of `size` rows: memory stays flat however many there are."""
        statement = self._export_statement(survey_id).execution_options(yield_per=size)
        result = await self._session.stream(statement)
        async for partition in result.partitions(size):
            yield [ExportRow(*row) for row in partition]

    @staticmethod
    def _export_statement(survey_id: str) -> Select[Any]:
        return (
            select(
                SurveyResponse.id,
                SurveyResponse.started_at,
                SurveyResponse.completed_at,
                SurveyResponse.language,
                SurveyResponse.anonymous,
                SurveyAnswer.question_id,
                SurveyAnswer.value,
                SurveyAnswer.skipped,
            )
            .select_from(SurveyResponse)
            .outerjoin(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
            .where(SurveyResponse.survey_id == survey_id, SurveyResponse.status == ResponseStatus.COMPLETED)
            .order_by(SurveyResponse.id)
        )

    # --- Q&A ------------------------------------------------------------------------------------------------

    async def outcome_counts(self, since: datetime) -> dict[str, int]:
        """outcome -> number of knowledge questions (answered or fallen back) asked since `since`."""
        rows = await self._session.execute(
            select(Question.outcome, func.count())
            .where(Question.created_at >= since, Question.outcome.in_(ANSWERED + FALLBACK))
            .group_by(Question.outcome)
        )
        return {outcome: number for outcome, number in rows.all()}

    async def language_counts(self, since: datetime) -> dict[str, int]:
        rows = await self._session.execute(
            select(Question.language, func.count())
            .where(Question.created_at >= since, Question.outcome.in_(ANSWERED + FALLBACK))
            .group_by(Question.language)
        )
        return {language: number for language, number in rows.all()}

    async def top_topics(self, since: datetime, limit: int = 10) -> list[tuple[str, int]]:
        number = func.count().label("number")
        rows = await self._session.execute(
            select(Question.entry_id, number)
            .where(
                Question.created_at >= since,
                Question.outcome.in_(TOPIC_OUTCOMES),
                Question.entry_id.is_not(None),
            )
            .group_by(Question.entry_id)
            .order_by(number.desc(), Question.entry_id)
            .limit(limit)
        )
        return [(entry_id, count) for entry_id, count in rows.all()]

    async def rating_counts(self, since: datetime) -> dict[int, int]:
        """+1/-1 -> number of ratings on answers to questions asked since `since`."""
        rows = await self._session.execute(
            select(Rating.value, func.count())
            .join(Question, Question.id == Rating.question_id)
            .where(Question.created_at >= since)
            .group_by(Rating.value)
        )
        return {int(value): number for value, number in rows.all()}

    async def handoff_counts(self) -> tuple[int, int]:
        """(open hand-off requests, of them not delivered to any staff chat yet)."""
        row = (await self._session.execute(
            select(func.count(), func.count(HandoffRequest.id).filter(HandoffRequest.delivered_at.is_(None)))
            .select_from(HandoffRequest).where(HandoffRequest.status == HandoffStatus.OPEN)
        )).one()
        return int(row[0]), int(row[1])

    async def unanswered(self, limit: int) -> list[UnansweredQuestion]:
        """Recent questions that fell back, were declined, or whose answer got 👎 (browsing excluded)."""
        rows = await self._session.execute(
            select(Question, Rating.value)
            .outerjoin(Rating, Rating.question_id == Question.id)
            .where(or_(Question.outcome.in_(FALLBACK), Rating.value < 0), Question.engine != Engine.BROWSE)
            .order_by(Question.created_at.desc(), Question.id.desc())
            .limit(limit)
        )
        return [_unanswered(question, rating) for question, rating in rows.all()]

    async def question(self, question_id: int) -> UnansweredQuestion | None:
        row = (
            await self._session.execute(
                select(Question, Rating.value)
                .outerjoin(Rating, Rating.question_id == Question.id)
                .where(Question.id == question_id)
            )
        ).first()
        return _unanswered(*row) if row is not None else None


def _unanswered(question: Question, rating: int | None) -> UnansweredQuestion:
    return UnansweredQuestion(
        id=question.id,
        text=question.text,
        language=question.language,
        outcome=question.outcome,
        intent=question.intent,
        confidence=float(question.confidence or 0.0),
        entry_id=question.entry_id,
        rating=rating,
        created_at=question.created_at,
    )


class HandoffDeliveryRepository:
    """Where each handed-off question was shown to staff (chat + message), to route replies back."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, handoff_id: int, staff_chat_id: int, staff_message_id: int) -> HandoffDelivery:
        row = HandoffDelivery(handoff_id=handoff_id, staff_chat_id=staff_chat_id, staff_message_id=staff_message_id)
        self._session.add(row)
        return row

    async def find(self, staff_chat_id: int, staff_message_id: int) -> tuple[HandoffDelivery, HandoffRequest] | None:
        row = (
            await self._session.execute(
                select(HandoffDelivery, HandoffRequest)
                .join(HandoffRequest, HandoffRequest.id == HandoffDelivery.handoff_id)
                .where(
                    HandoffDelivery.staff_chat_id == staff_chat_id,
                    HandoffDelivery.staff_message_id == staff_message_id,
                )
            )
        ).first()
        return (row[0], row[1]) if row is not None else None
