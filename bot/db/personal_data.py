"""Personal data in the database: everything that names a user, collected (/mydata) or deleted (/forget).

What `forget` does (the consent texts in bot/locales/*/surveys.yaml say exactly this):
- deletes the user's row (with their opt-out of survey invitations), every question they asked, ratings, requests
  to staff and where those were posted, the survey invitations queued for or sent to them, and received messages
  not processed yet (a processed update keeps only its id, naming nobody);
- deletes every survey response stored under their Telegram id (with all its answers), and any unfinished or
  cancelled response of theirs, anonymous ones included, plus pending reminders to their chat;
- deletes their "already answered" markers (survey_completions), so they may answer those surveys again;
- keeps *completed anonymous* responses: those hold no user id and, since completion, no key either (it was
  replaced with random bytes then), so nothing can link them to the user — not even with the server's secret.
The use case (bot/privacy.py) also edits the staff-chat posts of their hand-offs to "removed" (the message ids
are read here before the rows go: `handoff_posts`).

A feature that adds a table naming users adds it here, so one call removes everything that names a user.
Like every repository this never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.vocabulary import HandoffStatus, ResponseStatus

from .models import (
    AuditLog,
    Base,
    HandoffDelivery,
    HandoffRequest,
    InboxUpdate,
    Invitation,
    Question,
    Rating,
    SendBudget,
    SurveyAnswer,
    SurveyCompletion,
    SurveyReminder,
    SurveyResponse,
    User,
)


@dataclass
class UserData:
    """What /mydata shows."""

    user: User | None
    question_count: int = 0
    recent_questions: list[Question] = field(default_factory=list)
    ratings_up: int = 0
    ratings_down: int = 0
    handoffs: list[HandoffRequest] = field(default_factory=list)
    pending_updates: int = 0  # received messages not processed yet (seconds, normally)
    survey_responses: list[tuple[SurveyResponse, list[SurveyAnswer]]] = field(default_factory=list)
    # Held under the user's respondent keys rather than their id: unfinished anonymous responses, and the
    # "already answered" markers of surveys answered once.
    anonymous_unfinished: list[tuple[SurveyResponse, list[SurveyAnswer]]] = field(default_factory=list)
    completion_markers: int = 0
    reminders: int = 0  # survey reminders scheduled to the user's chat
    handoff_posts: int = 0  # copies of the user's hand-offs in staff chats
    staff_actions: int = 0  # audit rows naming the user as the staff member who acted
    invitations: int = 0  # survey invitations queued for or sent to the user (/invite)

    @property
    def open_handoffs(self) -> int:
        return sum(1 for handoff in self.handoffs if handoff.status == HandoffStatus.OPEN)

    @property
    def empty(self) -> bool:
        return self.user is None and not (self.question_count or self.ratings_up or self.ratings_down
                                          or self.handoffs or self.survey_responses or self.anonymous_unfinished
                                          or self.completion_markers or self.reminders or self.staff_actions)


class PersonalDataRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def forget(self, user_id: int, respondent_keys: Iterable[str] = ()) -> dict[str, int]:
        """Delete everything that names `user_id`; returns the number of rows per table (nothing committed).

        `respondent_keys` are the user's HMAC keys for every loaded survey (`SurveyEngine.respondent_keys`): with
        them, the user's anonymous responses are found too (unfinished ones deleted, completed ones unlinked).
        """
        session = self._session
        keys = list(respondent_keys)
        counts: dict[str, int] = {}

        # Surveys: responses under the user's id, and unfinished/cancelled ones under their keys (anonymous too).
        owned = SurveyResponse.user_id == user_id
        if keys:
            owned = or_(owned, and_(SurveyResponse.respondent_key.in_(keys), SurveyResponse.status != ResponseStatus.COMPLETED))
        response_ids = list((await session.execute(select(SurveyResponse.id).where(owned))).scalars())
        counts["survey_completions"] = (
            await self._delete(SurveyCompletion, SurveyCompletion.marker.in_(keys)) if keys else 0
        )
        counts["survey_answers"] = await self._delete(SurveyAnswer, SurveyAnswer.response_id.in_(response_ids))
        counts["survey_reminders"] = await self._delete(
            SurveyReminder,
            or_(SurveyReminder.response_id.in_(response_ids), SurveyReminder.chat_id == user_id),  # private chat id
        )
        counts["survey_responses"] = await self._delete(SurveyResponse, SurveyResponse.id.in_(response_ids))
        # Q&A: ratings (by user, and on the user's questions), requests to staff, questions, the user row.
        question_ids = select(Question.id).where(Question.user_id == user_id).scalar_subquery()
        counts["ratings"] = await self._delete(Rating, or_(Rating.user_id == user_id, Rating.question_id.in_(question_ids))
        )
        # Staff review: where the user's requests to staff were posted in staff chats (bot/staff).
        handoff_ids = select(HandoffRequest.id).where(HandoffRequest.user_id == user_id).scalar_subquery()
        counts["handoff_deliveries"] = await self._delete(HandoffDelivery, HandoffDelivery.handoff_id.in_(handoff_ids))
        counts["handoff_requests"] = await self._delete(HandoffRequest, HandoffRequest.user_id == user_id)
        counts["questions"] = await self._delete(Question, Question.user_id == user_id)
        # Survey invitations (bot/invitations): one row per run the user was a recipient of; the opt-out and
        # "blocked" marks are columns of the user row.
        counts["invitations"] = await self._delete(Invitation, Invitation.user_id == user_id)
        # The send budget's per-chat key (bot/db/send_budget.py) is the user's private chat id: only a timestamp.
        counts["send_budget"] = await self._delete(SendBudget, SendBudget.key == f"chat:{user_id}")
        counts["users"] = await self._delete(User, User.id == user_id)
        # Received updates not processed yet hold the message (processed ones name nobody: bot/db/inbox.py).
        counts["update_inbox"] = await self._delete(InboxUpdate, InboxUpdate.user_id == user_id)
        return counts

    async def purge_before(self, cutoff: datetime) -> dict[str, int]:
        """RETENTION_DAYS: delete questions (with their ratings) and hand-off requests (with where they were posted)
        created before `cutoff`, and blank the details of older audit rows (who did what when stays)."""
        old_questions = select(Question.id).where(Question.created_at < cutoff).scalar_subquery()
        old_handoffs = select(HandoffRequest.id).where(HandoffRequest.created_at < cutoff).scalar_subquery()
        counts = {
            "ratings": await self._delete(Rating, Rating.question_id.in_(old_questions)),
            "handoff_deliveries": await self._delete(HandoffDelivery, HandoffDelivery.handoff_id.in_(old_handoffs)),
            "handoff_requests": await self._delete(HandoffRequest, HandoffRequest.created_at < cutoff),
            "questions": await self._delete(Question, Question.created_at < cutoff),
        }
        result = await self._session.execute(
            update(AuditLog).where(AuditLog.created_at < cutoff, AuditLog.details.is_not(None)).values(details=None)
            .execution_options(synchronize_session=False)
        )
        counts["audit_details"] = cast(CursorResult[Any], result).rowcount or 0
        return counts

    async def flush_deleted(self) -> None:
        """SQLite: copy the write-ahead log into the database file now (where `secure_delete` overwrites deleted
        rows) and empty the log, rather than leave the deleted text readable in the file until the next automatic
        checkpoint. Best effort (a reader holding an old snapshot delays it); nothing to do on PostgreSQL."""
        if self._session.bind.dialect.name == "sqlite":
            await self._session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))

    async def handoff_posts(self, user_id: int) -> list[tuple[int, int]]:
        """(staff chat id, message id) of every copy of the user's hand-offs in staff chats."""
        rows = await self._session.execute(
            select(HandoffDelivery.staff_chat_id, HandoffDelivery.staff_message_id)
            .join(HandoffRequest, HandoffRequest.id == HandoffDelivery.handoff_id)
            .where(HandoffRequest.user_id == user_id)
            .order_by(HandoffDelivery.id)
        )
        return [(chat, message) for chat, message in rows.all()]

    async def _delete(self, model: type[Base], condition: ColumnElement[bool]) -> int:
        result = await self._session.execute(delete(model).where(condition).execution_options(synchronize_session=False))
        return cast(CursorResult[Any], result).rowcount or 0

    async def collect(self, user_id: int, respondent_keys: Iterable[str] = (), recent: int = 5) -> UserData:
        """Everything held about `user_id`: under their id, and under their respondent keys."""
        session = self._session
        keys = list(respondent_keys)
        data = UserData(user=await session.get(User, user_id))
        data.question_count = (
            await session.execute(select(func.count()).select_from(Question).where(Question.user_id == user_id))
        ).scalar_one()
        data.recent_questions = list(
            (
                await session.execute(
                    select(Question).where(Question.user_id == user_id).order_by(Question.id.desc()).limit(recent)
                )
            ).scalars()
        )
        for value, number in (
            await session.execute(
                select(Rating.value, func.count()).where(Rating.user_id == user_id).group_by(Rating.value)
            )
        ).all():
            if value > 0:
                data.ratings_up += number
            else:
                data.ratings_down += number
        data.pending_updates = (await session.execute(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.user_id == user_id))).scalar_one()
        data.handoffs = list(
            (
                await session.execute(
                    select(HandoffRequest).where(HandoffRequest.user_id == user_id).order_by(HandoffRequest.id)
                )
            ).scalars()
        )
        data.invitations = (
            await session.execute(select(func.count()).select_from(Invitation).where(Invitation.user_id == user_id))
        ).scalar_one()
        responses = list(
            (
                await session.execute(
                    select(SurveyResponse).where(SurveyResponse.user_id == user_id).order_by(SurveyResponse.id)
                )
            ).scalars()
        )
        for response in responses:
            data.survey_responses.append((response, await self._answers(response.id)))
        if keys:
            anonymous = (await session.execute(
                select(SurveyResponse).where(SurveyResponse.respondent_key.in_(keys), SurveyResponse.user_id.is_(None))
                .order_by(SurveyResponse.id)
            )).scalars()
            for response in list(anonymous):
                data.anonymous_unfinished.append((response, await self._answers(response.id)))
            data.completion_markers = await self._count(SurveyCompletion, SurveyCompletion.marker.in_(keys))
        data.reminders = await self._count(SurveyReminder, SurveyReminder.chat_id == user_id)
        data.handoff_posts = len(await self.handoff_posts(user_id))
        data.staff_actions = await self._count(AuditLog, AuditLog.admin_id == user_id)
        return data

    async def _answers(self, response_id: int) -> list[SurveyAnswer]:
        result = await self._session.execute(
            select(SurveyAnswer).where(SurveyAnswer.response_id == response_id).order_by(SurveyAnswer.id)
        )
        return list(result.scalars())

    async def _count(self, model: type[Base], condition: ColumnElement[bool]) -> int:
        result = await self._session.execute(select(func.count()).select_from(model).where(condition))
        return int(result.scalar_one())
