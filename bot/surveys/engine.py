"""The survey engine: what to ask next, what counts as a valid answer, and recording answers. No Telegram.

State lives in the database only. A response row names its pending question (`current_question`) and every
answer is a row written in the same unit of work that moves the pending question on, so a restarted bot —
or a second bot process on the same database — continues exactly where the participant stopped. Every
change updates the response row, whose `version` column (SQLAlchemy `version_id_col`) makes a concurrent,
stale update fail with `StaleDataError` instead of overwriting: callers reload and show the pending question.

Anonymous responses never store the Telegram user id: while unfinished, `respondent_key` = HMAC(secret,
survey id + user id) finds the participant's response (to resume it, /cancel or /forget it). At completion the
key is replaced with random bytes: a finished anonymous response holds nothing that can be matched to a user id,
even by someone with the database *and* the secret. For surveys answered once (`allow_repeat: false`) the key
goes to `survey_completions` instead — a marker with no response id and no time — so a second submission is
still refused. Every key records which secret made it (`key_id`), so a changed RESPONDENT_KEY_SECRET is noticed
(`key_report`) rather than silently orphaning unfinished responses and markers.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from bot.db.models import SurveyAnswer, SurveyCompletion, SurveyReminder, SurveyResponse, utcnow
from bot.vocabulary import ResponseStatus, survey_is_open

from .schema import Question, Survey
from .values import InvalidAnswer, button_value, decode, encode, next_question, previous_question, text_value, toggled

if TYPE_CHECKING:
    from bot.uow import UnitOfWork

log = logging.getLogger(__name__)


DEVELOPMENT_SECRET = b"offline-development-respondent-key"


class NotPending(Exception):
    """The question (or the response) a button refers to is not the pending one any more: a stale button."""


def respondent_secret(configured: str | None) -> bytes:
    """RESPONDENT_KEY_SECRET; without one (only allowed with no bot token: the console chat, tests) a fixed
    development secret. Never derived from the bot token: revoking a token must not change respondent keys."""
    if configured:
        return configured.encode()
    log.warning("no RESPONDENT_KEY_SECRET: anonymous survey keys use a development secret (console/tests only)")
    return DEVELOPMENT_SECRET


def key_id(secret: bytes) -> str:
    """A short, public fingerprint of the secret, stored with every key it made (it does not reveal the secret)."""
    return hmac.new(secret, b"respondent key id", hashlib.sha256).hexdigest()[:12]


# --- snapshots for rendering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    value: Any
    skipped: bool


@dataclass(frozen=True)
class Progress:
    """Where a response stands, detached from the database (safe to render after the unit of work)."""

    survey: Survey
    response_id: int
    status: str
    language: str
    anonymous: bool
    question: Question | None  # the pending question (None when completed or cancelled)
    answers: dict[str, Answer]

    @property
    def number(self) -> int:
        return self.survey.index(self.question.id) + 1 if self.question else len(self.survey.questions)

    @property
    def total(self) -> int:
        return len(self.survey.questions)

    @property
    def current(self) -> Answer | None:
        """The answer already stored for the pending question (after Back, or a multi-choice draft)."""
        return self.answers.get(self.question.id) if self.question else None

    @property
    def completed(self) -> bool:
        return self.status == ResponseStatus.COMPLETED

    def summary(self) -> list[tuple[Question, Answer | None]]:
        return [(question, self.answers.get(question.id)) for question in self.survey.questions]


StartCheck = Literal["ok", "unknown", "closed", "done", "in_progress"]


def _pending(survey: Survey, response: SurveyResponse, answers: dict[str, SurveyAnswer]) -> Question | None:
    if response.status != ResponseStatus.IN_PROGRESS:
        return None
    question = survey.question(response.current_question)
    if question is not None:
        return question
    # The survey file changed under a running response: continue with the first unanswered question.
    return next((q for q in survey.questions if q.id not in answers), survey.questions[-1])


class SurveyEngine:
    """Survey operations inside a caller's unit of work (`uow.surveys` is a `SurveyRepository`)."""

    def __init__(
        self,
        surveys: dict[str, Survey],
        secret: bytes,
        reminder_delay: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.surveys = surveys
        self._secret = secret
        self.key_id = key_id(secret)
        self.reminder_delay = reminder_delay
        self.clock = clock

    # --- who -------------------------------------------------------------------------------------------------

    def respondent_key(self, survey_id: str, user_id: int) -> str:
        return hmac.new(self._secret, f"{survey_id}:{user_id}".encode(), hashlib.sha256).hexdigest()

    def respondent_keys(self, user_id: int) -> list[str]:
        return [self.respondent_key(survey_id, user_id) for survey_id in self.surveys]

    # --- open/closed -------------------------------------------------------------------------------------------

    async def is_open(self, uow: UnitOfWork, survey_id: str) -> bool:
        survey = self.surveys.get(survey_id)
        if survey is None:
            return False
        return survey_is_open(survey.open, await uow.surveys.state(survey_id))

    async def open_surveys(self, uow: UnitOfWork) -> list[Survey]:
        states = await uow.surveys.states()
        return [survey for survey in self.surveys.values() if survey_is_open(survey.open, states.get(survey.id))]

    # --- starting ----------------------------------------------------------------------------------------------

    async def has_unfinished(self, uow: UnitOfWork, user_id: int) -> bool:
        """Whether `in_progress` would find a response (without loading it)."""
        return await uow.surveys.any_in_progress(self.respondent_keys(user_id))

    async def in_progress(self, uow: UnitOfWork, user_id: int) -> SurveyResponse | None:
        """The user's unfinished response to any loaded survey (found by respondent key, so anonymous too)."""
        return await uow.surveys.in_progress(self.respondent_keys(user_id))

    async def check_start(self, uow: UnitOfWork, survey_id: str, user_id: int) -> StartCheck:
        if survey_id not in self.surveys:
            return "unknown"
        if await self.in_progress(uow, user_id) is not None:
            return "in_progress"
        if not await self.is_open(uow, survey_id):
            return "closed"
        survey = self.surveys[survey_id]
        if not survey.allow_repeat and await uow.surveys.is_marked(self.respondent_key(survey_id, user_id)):
            return "done"
        return "ok"

    async def start(
        self, uow: UnitOfWork, survey_id: str, user_id: int, chat_id: int, language: str, anonymous: bool
    ) -> Progress:
        """A new response (call `check_start` first), its first question pending, its reminder scheduled."""
        survey = self.surveys[survey_id]
        now = self.clock()
        response = uow.surveys.add_response(
            SurveyResponse(
                survey_id=survey_id,
                user_id=None if anonymous else user_id,
                respondent_key=self.respondent_key(survey_id, user_id),
                key_id=self.key_id,
                anonymous=anonymous,
                language=language,
                status=ResponseStatus.IN_PROGRESS,
                current_question=survey.questions[0].id,
                started_at=now,
                updated_at=now,
            )
        )
        await uow.flush()
        uow.surveys.add_reminder(
            SurveyReminder(response_id=response.id, chat_id=chat_id, due_at=now + self.reminder_delay)
        )
        await uow.flush()
        return self._progress(survey, response, {})

    # --- loading -----------------------------------------------------------------------------------------------

    async def owned(self, uow: UnitOfWork, response_id: int, user_id: int) -> SurveyResponse | None:
        """The response a button refers to — only if it is this user's (by respondent key: anonymous too)."""
        response = await uow.surveys.response(response_id)
        if response is None or response.survey_id not in self.surveys:
            return None
        if not hmac.compare_digest(response.respondent_key, self.respondent_key(response.survey_id, user_id)):
            return None
        return response

    async def progress(self, uow: UnitOfWork, response: SurveyResponse) -> Progress:
        survey = self.surveys[response.survey_id]
        return self._progress(survey, response, await uow.surveys.answers(response.id))

    def _progress(self, survey: Survey, response: SurveyResponse, answers: dict[str, SurveyAnswer]) -> Progress:
        return Progress(
            survey=survey,
            response_id=response.id,
            status=response.status,
            language=response.language,
            anonymous=response.anonymous,
            question=_pending(survey, response, answers),
            answers={qid: Answer(decode(row.value), row.skipped) for qid, row in answers.items()},
        )

    async def _load(
        self, uow: UnitOfWork, response: SurveyResponse, question_id: str | None
    ) -> tuple[Survey, dict[str, SurveyAnswer], Question]:
        survey = self.surveys[response.survey_id]
        answers = await uow.surveys.answers(response.id)
        question = _pending(survey, response, answers)
        if question is None or (question_id is not None and question.id != question_id):
            raise NotPending(response.status)
        return survey, answers, question

    # --- answering ---------------------------------------------------------------------------------------------

    async def answer_button(self, uow: UnitOfWork, response: SurveyResponse, question_id: str, raw: str) -> Progress:
        survey, answers, question = await self._load(uow, response, question_id)
        value = button_value(question, raw)
        return await self._record(uow, survey, response, answers, question, value, skipped=False)

    async def answer_text(self, uow: UnitOfWork, response: SurveyResponse, text: str) -> Progress:
        """A typed message for whatever question is pending."""
        survey, answers, question = await self._load(uow, response, None)
        value = text_value(question, text)
        return await self._record(uow, survey, response, answers, question, value, skipped=False)

    async def skip(self, uow: UnitOfWork, response: SurveyResponse, question_id: str) -> Progress:
        survey, answers, question = await self._load(uow, response, question_id)
        if not question.optional:
            raise InvalidAnswer("not_optional")
        return await self._record(uow, survey, response, answers, question, None, skipped=True)

    async def toggle(self, uow: UnitOfWork, response: SurveyResponse, question_id: str, choice_id: str) -> Progress:
        """Switch one multi-choice option; the draft selection is stored at once (it survives a restart)."""
        survey, answers, question = await self._load(uow, response, question_id)
        current = answers.get(question.id)
        selection = decode(current.value) if current is not None and not current.skipped else []
        self._store(uow, response, answers, question, toggled(question, selection, choice_id), skipped=False)
        response.updated_at = self.clock()  # a change of the response row: the version check guards the draft
        await uow.flush()
        return self._progress(survey, response, answers)

    async def finish_multi(self, uow: UnitOfWork, response: SurveyResponse, question_id: str) -> Progress:
        survey, answers, question = await self._load(uow, response, question_id)
        if question.type != "multi":
            raise InvalidAnswer("wrong_type")
        current = answers.get(question.id)
        selection = decode(current.value) if current is not None and not current.skipped else []
        if not selection:
            if not question.optional:
                raise InvalidAnswer("choose_one")
            return await self._record(uow, survey, response, answers, question, None, skipped=True)
        return await self._record(uow, survey, response, answers, question, selection, skipped=False)

    async def keep(self, uow: UnitOfWork, response: SurveyResponse, question_id: str) -> Progress:
        """Move on keeping the answer already stored for this question (after Back)."""
        survey, answers, question = await self._load(uow, response, question_id)
        current = answers.get(question.id)
        if current is None:
            raise InvalidAnswer("no_answer")
        return await self._record(uow, survey, response, answers, question, decode(current.value), current.skipped)

    async def back(self, uow: UnitOfWork, response: SurveyResponse, question_id: str) -> Progress:
        """The previous question becomes pending again; its stored answer is kept until replaced."""
        survey, answers, question = await self._load(uow, response, question_id)
        previous = previous_question(survey, question.id)
        if previous is None:
            raise InvalidAnswer("first_question")
        now = self.clock()
        response.current_question = previous.id
        response.updated_at = now
        await uow.surveys.postpone_reminder(response.id, now + self.reminder_delay)
        await uow.flush()
        return self._progress(survey, response, answers)

    async def cancel(self, uow: UnitOfWork, response: SurveyResponse) -> Progress:
        """Stop: the answers given so far are deleted, the response is kept as 'cancelled' (no answers)."""
        if response.status != ResponseStatus.IN_PROGRESS:
            raise NotPending(response.status)
        response.status = ResponseStatus.CANCELLED
        response.updated_at = self.clock()
        await uow.surveys.delete_answers(response.id)
        await uow.surveys.delete_reminder(response.id)
        await uow.flush()
        return self._progress(self.surveys[response.survey_id], response, {})

    def _store(
        self,
        uow: UnitOfWork,
        response: SurveyResponse,
        answers: dict[str, SurveyAnswer],
        question: Question,
        value: Any,
        skipped: bool,
    ) -> None:
        row = answers.get(question.id)
        now = self.clock()
        if row is None:
            row = uow.surveys.add_answer(
                SurveyAnswer(response_id=response.id, question_id=question.id, value=encode(value), skipped=skipped,
                             answered_at=now)
            )
            answers[question.id] = row
        else:
            row.value = encode(value)
            row.skipped = skipped
            row.answered_at = now

    async def _record(
        self,
        uow: UnitOfWork,
        survey: Survey,
        response: SurveyResponse,
        answers: dict[str, SurveyAnswer],
        question: Question,
        value: Any,
        skipped: bool,
    ) -> Progress:
        """Store the answer and move on — in the caller's one transaction, so both happen or neither."""
        self._store(uow, response, answers, question, value, skipped)
        now = self.clock()
        following = next_question(survey, question.id)
        response.updated_at = now
        if following is None:
            response.status = ResponseStatus.COMPLETED
            response.current_question = None
            response.completed_at = now
            await uow.surveys.delete_reminder(response.id)
            if not survey.allow_repeat and not await uow.surveys.is_marked(response.respondent_key):
                uow.surveys.mark(SurveyCompletion(marker=response.respondent_key, key_id=response.key_id))
            if response.anonymous:  # from now on nothing stored with it leads back to the person
                response.respondent_key = secrets.token_hex(32)
                response.key_id = None
        else:
            response.current_question = following.id
            await uow.surveys.postpone_reminder(response.id, now + self.reminder_delay)
        await uow.flush()
        return self._progress(survey, response, answers)
