"""Survey rows: responses, answers, reminders, the staff's open/closed switch. Never commits (the unit of
work does, once per update)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import SurveyAnswer, SurveyCompletion, SurveyReminder, SurveyResponse, SurveyState, utcnow
from bot.vocabulary import ResponseStatus

_ANY_IN_PROGRESS = (select(SurveyResponse.id)
                    .where(SurveyResponse.respondent_key.in_(bindparam("keys", expanding=True)),
                           SurveyResponse.status == ResponseStatus.IN_PROGRESS)
                    .limit(1))


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

    async def any_in_progress(self, respondent_keys: Iterable[str]) -> bool:
        """Whether any unfinished response exists under these keys — the look every text message takes (no row
        loaded; the statement is built once)."""
        keys = list(respondent_keys)
        return bool(keys) and (await self._session.execute(_ANY_IN_PROGRESS, {"keys": keys})).first() is not None

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

    # --- "already answered" markers (allow_repeat: false) ---------------------------------------------------------

    async def is_marked(self, marker: str) -> bool:
        return await self._session.get(SurveyCompletion, marker) is not None

    def mark(self, completion: SurveyCompletion) -> SurveyCompletion:
        self._session.add(completion)
        return completion

    async def key_report(self, current_key_id: str) -> tuple[int, int]:
        """(unfinished responses, markers) whose key was made by another secret than `current_key_id` — or before
        key ids were recorded (NULL): they cannot be matched to anyone with the current secret."""
        other = await self._session.execute(
            select(func.count()).select_from(SurveyResponse).where(
                SurveyResponse.status == ResponseStatus.IN_PROGRESS,
                or_(SurveyResponse.key_id.is_(None), SurveyResponse.key_id != current_key_id),
            )
        )
        markers = await self._session.execute(
            select(func.count()).select_from(SurveyCompletion).where(
                or_(SurveyCompletion.key_id.is_(None), SurveyCompletion.key_id != current_key_id)
            )
        )
        return int(other.scalar_one()), int(markers.scalar_one())

    async def adopt_keys(self, current_key_id: str) -> tuple[int, int]:
        """The secret did not change (keys made before key ids were recorded): label them with the current id."""
        responses = await self._session.execute(
            update(SurveyResponse).where(SurveyResponse.status == ResponseStatus.IN_PROGRESS,
                                         SurveyResponse.key_id.is_(None))
            .values(key_id=current_key_id).execution_options(synchronize_session=False)
        )
        markers = await self._session.execute(
            update(SurveyCompletion).where(SurveyCompletion.key_id.is_(None))
            .values(key_id=current_key_id).execution_options(synchronize_session=False)
        )
        return (cast(CursorResult[Any], responses).rowcount or 0, cast(CursorResult[Any], markers).rowcount or 0)

    async def drop_other_keys(self, current_key_id: str) -> tuple[int, int]:
        """After a change of secret: delete unfinished responses (answers, reminders) and markers made by another
        secret — nobody can resume, /forget or be refused by them any more."""
        stale = or_(SurveyResponse.key_id.is_(None), SurveyResponse.key_id != current_key_id)
        ids = list((await self._session.execute(
            select(SurveyResponse.id).where(SurveyResponse.status == ResponseStatus.IN_PROGRESS, stale)
        )).scalars())
        if ids:
            await self._session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(ids)))
            await self._session.execute(delete(SurveyReminder).where(SurveyReminder.response_id.in_(ids)))
            await self._session.execute(delete(SurveyResponse).where(SurveyResponse.id.in_(ids)))
        markers = await self._session.execute(
            delete(SurveyCompletion).where(or_(SurveyCompletion.key_id.is_(None),
                                               SurveyCompletion.key_id != current_key_id))
        )
        return len(ids), cast(CursorResult[Any], markers).rowcount or 0

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

    @staticmethod
    def _claimable(claims_before: datetime | None) -> ColumnElement[bool]:
        """Not claimed — or claimed before `claims_before` by a process that never finished (it died)."""
        unclaimed = SurveyReminder.sent_at.is_(None)
        return unclaimed if claims_before is None else or_(unclaimed, SurveyReminder.sent_at < claims_before)

    async def due_reminders(self, now: datetime, limit: int = 50,
                            claims_before: datetime | None = None) -> list[SurveyReminder]:
        """Reminders due at `now` that nobody is sending (see `claim_reminder` for `claims_before`)."""
        result = await self._session.execute(
            select(SurveyReminder)
            .where(SurveyReminder.due_at <= now, self._claimable(claims_before))
            .order_by(SurveyReminder.due_at)
            .limit(limit)
        )
        return list(result.scalars())

    async def claim_reminder(self, reminder_id: int, now: datetime | None = None,
                             claims_before: datetime | None = None) -> bool:
        """Mark a reminder as being sent (`sent_at` = the claim's time); True only for the one process whose
        UPDATE changed the row. A claim made before `claims_before` is expired — its process died between the
        claim and deleting the row — and may be taken over."""
        result = await self._session.execute(
            update(SurveyReminder)
            .where(SurveyReminder.id == reminder_id, self._claimable(claims_before))
            .values(sent_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(cast(CursorResult[Any], result).rowcount == 1)

    async def claim_due_reminders(self, now: datetime, limit: int = 50,
                                  claims_before: datetime | None = None) -> list[tuple[int, int, int]]:
        """Claim up to `limit` due reminders in one statement: (id, response id, chat id) of the rows this process
        won. On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so replicas take disjoint batches without
        waiting on each other; SQLite drops the locking clause and the UPDATE is atomic on its own. A claim made
        before `claims_before` has expired (its process died) and is taken over."""
        chosen = (
            select(SurveyReminder.id)
            .where(SurveyReminder.due_at <= now, self._claimable(claims_before))
            .order_by(SurveyReminder.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self._session.execute(
            update(SurveyReminder)
            .where(SurveyReminder.id.in_(chosen.scalar_subquery()), self._claimable(claims_before))
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
