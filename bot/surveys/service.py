"""Survey use cases: each owns its unit of work and returns a snapshot (`Progress`) to render. No Telegram.

No survey state is kept in memory: every step loads the response, applies one change through the engine and
commits, in one unit of work. A concurrent, conflicting step (two processes, a double tap) fails the response's
version check (or the one-unfinished-response index); the caller then shows the pending question again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from bot.accounts import preferred_language
from bot.db.models import SurveyResponse
from bot.uow import UnitOfWork, UnitOfWorkFactory

from .engine import NotPending, Progress, StartCheck, SurveyEngine
from .schema import Survey
from .values import InvalidAnswer

log = logging.getLogger(__name__)

CANCEL_ATTEMPTS = 3
Operation = Callable[[UnitOfWork, SurveyResponse], Awaitable[Progress]]


class StepOutcome(StrEnum):
    OK = "ok"
    STALE = "stale"  # a button of an earlier question, or of a survey that has ended
    INVALID = "invalid"  # not an answer to the pending question (reason says why)
    CONFLICT = "conflict"  # a concurrent change won; progress is the response as it now is
    FOREIGN = "foreign"  # the response does not exist or is not this user's


@dataclass(frozen=True)
class StepResult:
    outcome: StepOutcome
    progress: Progress | None
    reason: str | None = None
    details: dict[str, Any] | None = None


@dataclass(frozen=True)
class Offer:
    """Where starting a survey stands: `check` "ok" (show the consent / first question), "in_progress" (progress
    is the unfinished one), or why not ("unknown", "closed", "done")."""

    language: str
    check: StartCheck
    survey: Survey | None
    progress: Progress | None = None


@dataclass(frozen=True)
class Feedback:
    """/feedback: an unfinished response to continue, else the open surveys."""

    language: str
    progress: Progress | None
    surveys: list[Survey]


@dataclass(frozen=True)
class Cancelled:
    language: str
    survey: bool  # an unfinished survey was cancelled
    awaiting: bool  # a "waiting for your text" was dropped


class SurveyService:
    def __init__(self, uow: UnitOfWorkFactory, engine: SurveyEngine, default_language: str) -> None:
        self._uow = uow
        self.engine = engine
        self._default_language = default_language

    async def _language(self, uow: UnitOfWork, user_id: int, telegram_code: str | None) -> str:
        return preferred_language(await uow.users.get(user_id), telegram_code, self._default_language)

    async def feedback(self, user_id: int, telegram_code: str | None) -> Feedback:
        async with self._uow() as uow:
            language = await self._language(uow, user_id, telegram_code)
            response = await self.engine.in_progress(uow, user_id)
            if response is not None:
                return Feedback(language, await self.engine.progress(uow, response), [])
            return Feedback(language, None, await self.engine.open_surveys(uow))

    async def offer(self, user_id: int, survey_id: str, telegram_code: str | None) -> Offer:
        """May this user start `survey_id` now (nothing written)?"""
        async with self._uow() as uow:
            language = await self._language(uow, user_id, telegram_code)
            check = await self.engine.check_start(uow, survey_id, user_id)
            progress = await self._unfinished(uow, user_id) if check == "in_progress" else None
        return Offer(language, check, self.engine.surveys.get(survey_id), progress)

    async def start(
        self, user_id: int, chat_id: int, survey_id: str, anonymous: bool, telegram_code: str | None
    ) -> Offer:
        """Consent given: a new response with its first question pending — or, when another process started one
        a moment ago (the unique index refuses a second unfinished response), that one."""
        async with self._uow() as uow:
            language = await self._language(uow, user_id, telegram_code)
            check = await self.engine.check_start(uow, survey_id, user_id)
            progress = None
            if check == "ok":
                try:
                    progress = await self.engine.start(uow, survey_id, user_id, chat_id, language, anonymous)
                    await uow.commit()
                except IntegrityError:
                    await uow.rollback()
                    check = "in_progress"
            if check == "in_progress":
                progress = await self._unfinished(uow, user_id)
        return Offer(language, check, self.engine.surveys.get(survey_id), progress)

    async def _unfinished(self, uow: UnitOfWork, user_id: int) -> Progress | None:
        response = await self.engine.in_progress(uow, user_id)
        return await self.engine.progress(uow, response) if response is not None else None

    async def apply_step(self, user_id: int, response_id: int | None, operation: Operation) -> StepResult | None:
        """Load the response (by id, or the user's unfinished one), apply `operation`, commit — one unit of work.

        A concurrent change (the response's version moved on, or the same answer inserted twice) rolls back and
        reports CONFLICT with the response as it now is. None: the user has no unfinished survey.
        """
        engine = self.engine

        async def load(uow: UnitOfWork) -> SurveyResponse | None:
            if response_id is None:
                return await engine.in_progress(uow, user_id)
            return await engine.owned(uow, response_id, user_id)

        try:
            async with self._uow() as uow:
                response = await load(uow)
                if response is None:
                    return None if response_id is None else StepResult(StepOutcome.FOREIGN, None)
                try:
                    progress = await operation(uow, response)
                except NotPending:
                    return StepResult(StepOutcome.STALE, await engine.progress(uow, response))
                except InvalidAnswer as exc:
                    return StepResult(StepOutcome.INVALID, await engine.progress(uow, response), exc.reason, exc.details)
                await uow.commit()
                return StepResult(StepOutcome.OK, progress)
        except (StaleDataError, IntegrityError) as exc:
            log.info("concurrent survey update for response %s: %s", response_id, type(exc).__name__)
        async with self._uow() as uow:
            response = await load(uow)
            current = await engine.progress(uow, response) if response is not None else None
            return StepResult(StepOutcome.CONFLICT, current)

    async def answer_message(self, user_id: int, text: str | None) -> StepResult | None:
        """A message while a question may be pending: a text answers it; anything else is "non_text"."""

        async def operation(uow: UnitOfWork, response: SurveyResponse) -> Progress:
            if text is None:
                raise InvalidAnswer("non_text")
            return await self.engine.answer_text(uow, response, text)

        async with self._uow(read_only=True) as uow:  # most messages are not survey answers: a cheap look first
            if not await self.engine.has_unfinished(uow, user_id):
                return None
        return await self.apply_step(user_id, None, operation)

    async def resume(self, user_id: int, response_id: int) -> Progress | None:
        """"Continue" under a reminder: the response as it stands, if it is this user's."""
        async with self._uow() as uow:
            response = await self.engine.owned(uow, response_id, user_id)
            return await self.engine.progress(uow, response) if response is not None else None

    async def cancel(self, user_id: int, telegram_code: str | None) -> Cancelled:
        """/cancel anywhere: stops an unfinished survey (deleting its answers) and any "waiting for your text".
        A concurrent change is retried (CANCEL_ATTEMPTS times in all)."""
        for attempt in range(CANCEL_ATTEMPTS):
            try:
                async with self._uow() as uow:
                    user = await uow.users.get(user_id)
                    language = preferred_language(user, telegram_code, self._default_language)
                    response = await self.engine.in_progress(uow, user_id)
                    if response is not None:
                        language = response.language
                        await self.engine.cancel(uow, response)
                    awaiting = user is not None and user.awaiting is not None
                    if user is not None and awaiting:
                        user.awaiting = user.awaiting_since = None
                    await uow.commit()
                return Cancelled(language, response is not None, awaiting)
            except (StaleDataError, IntegrityError):
                if attempt == CANCEL_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")
