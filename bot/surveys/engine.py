"""The survey engine: what to ask next, what counts as a valid answer, and recording answers. No Telegram.

State lives in the database only. A response row names its pending question (`current_question`) and every
answer is a row written in the same unit of work that moves the pending question on, so a restarted bot —
or a second bot process on the same database — continues exactly where the participant stopped. Every
change updates the response row, whose `version` column (SQLAlchemy `version_id_col`) makes a concurrent,
stale update fail with `StaleDataError` instead of overwriting: callers reload and show the pending question.

Anonymous responses never store the Telegram user id: `respondent_key` = HMAC(secret, survey id + user id)
finds a participant's unfinished response and refuses a second submission; without the secret it says
nothing about who answered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.db.models import SurveyAnswer, SurveyReminder, SurveyResponse, utcnow

from .repository import CANCELLED, COMPLETED, IN_PROGRESS
from .schema import UNSURE, Question, Survey

log = logging.getLogger(__name__)

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "IN_PROGRESS",
    "Answer",
    "InvalidAnswer",
    "NotPending",
    "Progress",
    "SurveyEngine",
    "button_value",
    "decode",
    "encode",
    "next_question",
    "previous_question",
    "respondent_secret",
    "text_value",
    "toggled",
]

DEVELOPMENT_SECRET = b"offline-development-respondent-key"


class InvalidAnswer(ValueError):
    """The input is not an answer to the pending question; nothing was changed.

    reason: use_buttons | empty | too_long | out_of_range | unknown_choice | choose_one | not_optional |
    wrong_type | first_question
    """

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class NotPending(Exception):
    """The question (or the response) a button refers to is not the pending one any more: a stale button."""


# --- values ------------------------------------------------------------------------------------------------


def encode(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def decode(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def button_value(question: Question, raw: str) -> Any:
    """The stored value for a button press ("4", a choice id, "y"/"n", "unsure")."""
    if raw == UNSURE and question.unsure and question.type in ("scale", "yes_no"):
        return UNSURE
    if question.type == "scale":
        try:
            value = int(raw)
        except ValueError:
            raise InvalidAnswer("out_of_range") from None
        if value not in question.scale_points:
            raise InvalidAnswer("out_of_range")
        return value
    if question.type == "single":
        if question.choice(raw) is None:
            raise InvalidAnswer("unknown_choice")
        return raw
    if question.type == "yes_no":
        if raw not in ("y", "n"):
            raise InvalidAnswer("unknown_choice")
        return raw == "y"
    raise InvalidAnswer("wrong_type")


def text_value(question: Question, text: str) -> Any:
    """The stored value for a typed message. Closed questions want buttons (a typed scale number is accepted)."""
    stripped = text.strip()
    if question.type == "text":
        if not stripped:
            raise InvalidAnswer("empty")
        if len(stripped) > question.max_length:
            raise InvalidAnswer("too_long", length=len(stripped), max_length=question.max_length)
        return stripped
    if question.type == "scale":
        try:
            value = int(stripped)
        except ValueError:
            raise InvalidAnswer("use_buttons") from None
        if value not in question.scale_points:
            raise InvalidAnswer("use_buttons")
        return value
    raise InvalidAnswer("use_buttons")


def toggled(question: Question, selection: list[str] | None, choice_id: str) -> list[str]:
    """A multi-choice selection with one choice switched on/off, kept in the survey's order. Switching on an
    exclusive choice ("none of these") clears the others; switching on another choice clears the exclusive."""
    if question.type != "multi":
        raise InvalidAnswer("wrong_type")
    choice = question.choice(choice_id)
    if choice is None:
        raise InvalidAnswer("unknown_choice")
    chosen = set(selection or [])
    if choice_id not in chosen:
        exclusive = {c.id for c in question.choices if c.exclusive}
        chosen = set() if choice.exclusive else chosen - exclusive
    chosen ^= {choice_id}
    return [choice.id for choice in question.choices if choice.id in chosen]


def next_question(survey: Survey, question_id: str) -> Question | None:
    index = survey.index(question_id)
    return survey.questions[index + 1] if index + 1 < len(survey.questions) else None


def previous_question(survey: Survey, question_id: str) -> Question | None:
    index = survey.index(question_id)
    return survey.questions[index - 1] if index > 0 else None


def respondent_secret(configured: str | None, bot_token: str | None) -> bytes:
    """RESPONDENT_KEY_SECRET, else a key derived from the bot token (same in every process of this bot)."""
    if configured:
        return configured.encode()
    if bot_token:
        return hmac.new(b"cohesion-assistant respondent key", bot_token.encode(), hashlib.sha256).digest()
    log.warning("no RESPONDENT_KEY_SECRET and no bot token: anonymous survey keys use a development secret")
    return DEVELOPMENT_SECRET


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
        return self.status == COMPLETED

    def summary(self) -> list[tuple[Question, Answer | None]]:
        return [(question, self.answers.get(question.id)) for question in self.survey.questions]


StartCheck = Literal["ok", "unknown", "closed", "done", "in_progress"]


def _pending(survey: Survey, response: SurveyResponse, answers: dict[str, SurveyAnswer]) -> Question | None:
    if response.status != IN_PROGRESS:
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
        self.reminder_delay = reminder_delay
        self.clock = clock

    # --- who -------------------------------------------------------------------------------------------------

    def respondent_key(self, survey_id: str, user_id: int) -> str:
        return hmac.new(self._secret, f"{survey_id}:{user_id}".encode(), hashlib.sha256).hexdigest()

    def respondent_keys(self, user_id: int) -> list[str]:
        return [self.respondent_key(survey_id, user_id) for survey_id in self.surveys]

    # --- open/closed -------------------------------------------------------------------------------------------

    async def is_open(self, uow: Any, survey_id: str) -> bool:
        survey = self.surveys.get(survey_id)
        if survey is None:
            return False
        state = await uow.surveys.state(survey_id)
        return survey.open if state is None else state

    async def open_surveys(self, uow: Any) -> list[Survey]:
        states = await uow.surveys.states()
        return [survey for survey in self.surveys.values() if states.get(survey.id, survey.open)]

    # --- starting ----------------------------------------------------------------------------------------------

    async def in_progress(self, uow: Any, user_id: int) -> SurveyResponse | None:
        """The user's unfinished response to any loaded survey (found by respondent key, so anonymous too)."""
        return await uow.surveys.in_progress(self.respondent_keys(user_id))

    async def check_start(self, uow: Any, survey_id: str, user_id: int) -> StartCheck:
        if survey_id not in self.surveys:
            return "unknown"
        if await self.in_progress(uow, user_id) is not None:
            return "in_progress"
        if not await self.is_open(uow, survey_id):
            return "closed"
        survey = self.surveys[survey_id]
        key = self.respondent_key(survey_id, user_id)
        if not survey.allow_repeat and await uow.surveys.has_completed(survey_id, key):
            return "done"
        return "ok"

    async def start(
        self, uow: Any, survey_id: str, user_id: int, chat_id: int, language: str, anonymous: bool
    ) -> Progress:
        """A new response (call `check_start` first), its first question pending, its reminder scheduled."""
        survey = self.surveys[survey_id]
        now = self.clock()
        response = uow.surveys.add_response(
            SurveyResponse(
                survey_id=survey_id,
                user_id=None if anonymous else user_id,
                respondent_key=self.respondent_key(survey_id, user_id),
                anonymous=anonymous,
                language=language,
                status=IN_PROGRESS,
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

    async def owned(self, uow: Any, response_id: int, user_id: int) -> SurveyResponse | None:
        """The response a button refers to — only if it is this user's (by respondent key: anonymous too)."""
        response = await uow.surveys.response(response_id)
        if response is None or response.survey_id not in self.surveys:
            return None
        if not hmac.compare_digest(response.respondent_key, self.respondent_key(response.survey_id, user_id)):
            return None
        return response

    async def progress(self, uow: Any, response: SurveyResponse) -> Progress:
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
        self, uow: Any, response: SurveyResponse, question_id: str | None
    ) -> tuple[Survey, dict[str, SurveyAnswer], Question]:
        survey = self.surveys[response.survey_id]
        answers = await uow.surveys.answers(response.id)
        question = _pending(survey, response, answers)
        if question is None or (question_id is not None and question.id != question_id):
            raise NotPending(response.status)
        return survey, answers, question

    # --- answering ---------------------------------------------------------------------------------------------

    async def answer_button(self, uow: Any, response: SurveyResponse, question_id: str, raw: str) -> Progress:
        survey, answers, question = await self._load(uow, response, question_id)
        value = button_value(question, raw)
        return await self._record(uow, survey, response, answers, question, value, skipped=False)

    async def answer_text(self, uow: Any, response: SurveyResponse, text: str) -> Progress:
        """A typed message for whatever question is pending."""
        survey, answers, question = await self._load(uow, response, None)
        value = text_value(question, text)
        return await self._record(uow, survey, response, answers, question, value, skipped=False)

    async def skip(self, uow: Any, response: SurveyResponse, question_id: str) -> Progress:
        survey, answers, question = await self._load(uow, response, question_id)
        if not question.optional:
            raise InvalidAnswer("not_optional")
        return await self._record(uow, survey, response, answers, question, None, skipped=True)

    async def toggle(self, uow: Any, response: SurveyResponse, question_id: str, choice_id: str) -> Progress:
        """Switch one multi-choice option; the draft selection is stored at once (it survives a restart)."""
        survey, answers, question = await self._load(uow, response, question_id)
        current = answers.get(question.id)
        selection = decode(current.value) if current is not None and not current.skipped else []
        self._store(uow, response, answers, question, toggled(question, selection, choice_id), skipped=False)
        response.updated_at = self.clock()  # a change of the response row: the version check guards the draft
        await uow.flush()
        return self._progress(survey, response, answers)

    async def finish_multi(self, uow: Any, response: SurveyResponse, question_id: str) -> Progress:
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

    async def keep(self, uow: Any, response: SurveyResponse, question_id: str) -> Progress:
        """Move on keeping the answer already stored for this question (after Back)."""
        survey, answers, question = await self._load(uow, response, question_id)
        current = answers.get(question.id)
        if current is None:
            raise InvalidAnswer("no_answer")
        return await self._record(uow, survey, response, answers, question, decode(current.value), current.skipped)

    async def back(self, uow: Any, response: SurveyResponse, question_id: str) -> Progress:
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

    async def cancel(self, uow: Any, response: SurveyResponse) -> Progress:
        """Stop: the answers given so far are deleted, the response is kept as 'cancelled' (no answers)."""
        if response.status != IN_PROGRESS:
            raise NotPending(response.status)
        response.status = CANCELLED
        response.updated_at = self.clock()
        await uow.surveys.delete_answers(response.id)
        await uow.surveys.delete_reminder(response.id)
        await uow.flush()
        return self._progress(self.surveys[response.survey_id], response, {})

    def _store(
        self,
        uow: Any,
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
        uow: Any,
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
            response.status = COMPLETED
            response.current_question = None
            response.completed_at = now
            await uow.surveys.delete_reminder(response.id)
        else:
            response.current_question = following.id
            await uow.surveys.postpone_reminder(response.id, now + self.reminder_delay)
        await uow.flush()
        return self._progress(survey, response, answers)
