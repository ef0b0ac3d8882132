"""Survey rows: responses, answers, reminders, the staff's open/closed switch. Never commits (the unit of
work does, once per update)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import SurveyAnswer, SurveyReminder, SurveyResponse, SurveyState, utcnow
from bot.vocabulary import ResponseStatus


class SurveyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- open/closed ----------------------------------------------------------------------------------------

    async def states(self) -> dict[str, bool]:
        rows = await self._session.execute(select(SurveyState.survey_id, SurveyState.is_open))
        return {survey_id: is_open for survey_id, is_open in rows.all()}

    async def state(self, survey_id: str) -> bool | None:
        row = await self._session.get(SurveyState, survey_id)
        return None if row is None else row.is_open

    async def set_state(self, survey_id: str, is_open: bool, updated_by: int | None = None) -> SurveyState:
        row = await self._session.get(SurveyState, survey_id)
        if row is None:
            row = SurveyState(survey_id=survey_id, is_open=is_open, updated_by=updated_by)
            self._session.add(row)
        else:
            row.is_open = is_open
            row.updated_by = updated_by
        return row

    # --- responses --------------------------------------------------------------------------------------------

    def add_response(self, response: SurveyResponse) -> SurveyResponse:
        self._session.add(response)
        return response

    async def response(self, response_id: int) -> SurveyResponse | None:
        return await self._session.get(SurveyResponse, response_id)

    async def in_progress(self, respondent_keys: Iterable[str]) -> SurveyResponse | None:
        """The newest unfinished response under any of these respondent keys (one per loaded survey)."""
        keys = list(respondent_keys)
        if not keys:
            return None
        result = await self._session.execute(
            select(SurveyResponse)
            .where(SurveyResponse.respondent_key.in_(keys), SurveyResponse.status == ResponseStatus.IN_PROGRESS)
            .order_by(SurveyResponse.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def has_completed(self, survey_id: str, respondent_key: str) -> bool:
        result = await self._session.execute(
            select(SurveyResponse.id)
            .where(
                SurveyResponse.survey_id == survey_id,
                SurveyResponse.respondent_key == respondent_key,
                SurveyResponse.status == ResponseStatus.COMPLETED,
            )
            .limit(1)
        )
        return result.first() is not None

    # --- answers ------------------------------------------------------------------------------------------------

    async def answers(self, response_id: int) -> dict[str, SurveyAnswer]:
        result = await self._session.execute(select(SurveyAnswer).where(SurveyAnswer.response_id == response_id))
        return {answer.question_id: answer for answer in result.scalars()}

    def add_answer(self, answer: SurveyAnswer) -> SurveyAnswer:
        self._session.add(answer)
        return answer

    async def delete_answers(self, response_id: int) -> int:
        result = await self._session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id == response_id))
        return cast(CursorResult[Any], result).rowcount or 0

    # --- reminders ----------------------------------------------------------------------------------------------

    def add_reminder(self, reminder: SurveyReminder) -> SurveyReminder:
        self._session.add(reminder)
        return reminder

    async def postpone_reminder(self, response_id: int, due_at: datetime) -> None:
        await self._session.execute(
            update(SurveyReminder)
            .where(SurveyReminder.response_id == response_id, SurveyReminder.sent_at.is_(None))
            .values(due_at=due_at)
        )

    async def delete_reminder(self, response_id: int) -> int:
        result = await self._session.execute(delete(SurveyReminder).where(SurveyReminder.response_id == response_id))
        return cast(CursorResult[Any], result).rowcount or 0

    async def due_reminders(self, now: datetime, limit: int = 50) -> list[SurveyReminder]:
        result = await self._session.execute(
            select(SurveyReminder)
            .where(SurveyReminder.due_at <= now, SurveyReminder.sent_at.is_(None))
            .order_by(SurveyReminder.due_at)
            .limit(limit)
        )
        return list(result.scalars())

    async def claim_reminder(self, reminder_id: int, now: datetime | None = None) -> bool:
        """Mark a reminder as being sent; True only for the one process whose UPDATE changed the row."""
        result = await self._session.execute(
            update(SurveyReminder)
            .where(SurveyReminder.id == reminder_id, SurveyReminder.sent_at.is_(None))
            .values(sent_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(cast(CursorResult[Any], result).rowcount == 1)

    async def claim_due_reminders(self, now: datetime, limit: int = 50) -> list[tuple[int, int, int]]:
        """Claim up to `limit` due reminders in one statement: (id, response id, chat id) of the rows this process
        won. On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so replicas take disjoint batches without
        waiting on each other; SQLite drops the locking clause and the UPDATE is atomic on its own."""
        chosen = (
            select(SurveyReminder.id)
            .where(SurveyReminder.due_at <= now, SurveyReminder.sent_at.is_(None))
            .order_by(SurveyReminder.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self._session.execute(
            update(SurveyReminder)
            .where(SurveyReminder.id.in_(chosen.scalar_subquery()), SurveyReminder.sent_at.is_(None))
            .values(sent_at=now)
            .returning(SurveyReminder.id, SurveyReminder.response_id, SurveyReminder.chat_id)
            .execution_options(synchronize_session=False)
        )
        return sorted((int(a), int(b), int(c)) for a, b, c in result.all())

    async def release_reminder(self, reminder_id: int) -> None:
        """Sending failed for a passing reason (network): let the next run try again."""
        await self._session.execute(
            update(SurveyReminder)
            .where(SurveyReminder.id == reminder_id)
            .values(sent_at=None)
            .execution_options(synchronize_session=False)
        )

    async def delete_reminder_by_id(self, reminder_id: int) -> None:
        await self._session.execute(delete(SurveyReminder).where(SurveyReminder.id == reminder_id))
