"""Personal data in the database: everything that names a user, collected (/mydata) or deleted (/forget).

What `forget` does (the consent texts in bot/locales/*/surveys.yaml say exactly this):
- deletes the user's row (with their opt-out of survey invitations), every question they asked, ratings, requests
  to staff and where those were posted, and the survey invitations queued for or sent to them;
- deletes every survey response stored under their Telegram id (with all its answers), and any unfinished or
  cancelled response of theirs, anonymous ones included, plus pending reminders to their chat;
- keeps *completed anonymous* responses — they hold no user id — and replaces their respondent key (the HMAC
  that stopped a second submission) with random bytes, so not even the server's secret can link them back.

A feature that adds a table naming users adds it here, so one call removes everything that names a user.
Like every repository this never commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.vocabulary import HandoffStatus, ResponseStatus

from .models import (
    Base,
    HandoffDelivery,
    HandoffRequest,
    Invitation,
    Question,
    Rating,
    SendBudget,
    SurveyAnswer,
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
    survey_responses: list[tuple[SurveyResponse, list[SurveyAnswer]]] = field(default_factory=list)
    invitations: int = 0  # survey invitations queued for or sent to the user (/invite)

    @property
    def open_handoffs(self) -> int:
        return sum(1 for handoff in self.handoffs if handoff.status == HandoffStatus.OPEN)

    @property
    def empty(self) -> bool:
        return self.user is None and not (self.question_count or self.ratings_up or self.ratings_down
                                          or self.handoffs or self.survey_responses)


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
        counts["survey_answers"] = await self._delete(SurveyAnswer, SurveyAnswer.response_id.in_(response_ids))
        counts["survey_reminders"] = await self._delete(
            SurveyReminder,
            or_(SurveyReminder.response_id.in_(response_ids), SurveyReminder.chat_id == user_id),  # private chat id
        )
        counts["survey_responses"] = await self._delete(SurveyResponse, SurveyResponse.id.in_(response_ids))
        unlinked = 0
        if keys:
            anonymous = (
                await session.execute(
                    select(SurveyResponse.id).where(
                        SurveyResponse.respondent_key.in_(keys), SurveyResponse.user_id.is_(None)
                    )
                )
            ).scalars()
            for response_id in list(anonymous):
                await session.execute(
                    update(SurveyResponse)
                    .where(SurveyResponse.id == response_id)
                    .values(respondent_key=secrets.token_hex(32), version=SurveyResponse.version + 1)
                    .execution_options(synchronize_session=False)
                )
                unlinked += 1
        counts["survey_responses_unlinked"] = unlinked

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
        return counts

    async def _delete(self, model: type[Base], condition: ColumnElement[bool]) -> int:
        result = await self._session.execute(delete(model).where(condition).execution_options(synchronize_session=False))
        return cast(CursorResult[Any], result).rowcount or 0

    async def collect(self, user_id: int, recent: int = 5) -> UserData:
        session = self._session
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
            answers = list(
                (
                    await session.execute(
                        select(SurveyAnswer).where(SurveyAnswer.response_id == response.id).order_by(SurveyAnswer.id)
                    )
                ).scalars()
            )
            data.survey_responses.append((response, answers))
        return data
