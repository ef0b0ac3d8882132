"""Survey definitions: what a survey YAML file in `surveys/` must look like.

Staff design surveys as data. Every file is validated when the bot starts (and by the tests), and a broken
file fails with a message that names the file, the question and the field, in the style of
`knowledge.loader`.

Stored answer values (`SurveyAnswer.value`, JSON): scale -> int, single -> choice id (str), multi -> list of
choice ids, yes_no -> true/false, text -> string; a skipped question -> value NULL and skipped=True; the
"hard to say" button of a scale or yes/no question with `unsure: true` -> the string "unsure" (UNSURE).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from knowledge.schema import Localized
from knowledge.yamlio import describe_location, read_yaml

QuestionType = Literal["scale", "single", "multi", "yes_no", "text"]
QUESTION_TYPES: tuple[str, ...] = ("scale", "single", "multi", "yes_no", "text")

# Ids end up in Telegram callback data (≤ 64 bytes) and deep links (`survey_<id>`, ≤ 64 characters from
# A-Za-z0-9_-), so they are short lower-case ascii.
SURVEY_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
QUESTION_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
CHOICE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,15}$")
DEEP_LINK_PREFIX = "survey_"
MAX_SCALE_POINTS = 11  # 0-10
MAX_CHOICES = 12
MAX_QUESTIONS = 50
DEFAULT_MAX_LENGTH = 1000
MAX_TEXT_LENGTH = 4000  # a Telegram message holds 4096 characters
UNSURE = "unsure"  # the stored value of a "hard to say" answer (scale and yes/no questions with `unsure: true`)


class SurveyDefinitionError(ValueError):
    """A survey file is broken; the message says file, question and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check(pattern: re.Pattern[str], what: str) -> Any:
    def check(cls: type, value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{what} must match {pattern.pattern} (lower-case ascii letters, digits, _)")
        return value

    return check


class Choice(_Strict):
    id: str
    label: Localized
    # multi only: choosing it clears every other choice, and choosing another clears it ("none of these")
    exclusive: bool = False

    _valid_id = field_validator("id")(_check(CHOICE_ID_PATTERN, "a choice id"))


class Question(_Strict):
    id: str
    type: QuestionType
    text: Localized
    optional: bool = False
    min: int | None = None
    max: int | None = None
    min_label: Localized | None = None
    mid_label: Localized | None = None  # scale only: the label of the middle point (needs an odd number of points)
    max_label: Localized | None = None
    unsure: bool = False  # scale / yes_no: adds a "hard to say" button, stored as "unsure"
    choices: list[Choice] = Field(default_factory=list)
    max_length: int = DEFAULT_MAX_LENGTH

    _valid_id = field_validator("id")(_check(QUESTION_ID_PATTERN, "a question id"))

    @model_validator(mode="after")
    def _per_type(self) -> Question:
        given = self.model_fields_set
        if self.type == "scale":
            if self.min is None or self.max is None:
                raise ValueError("min/max: a scale question needs both min and max")
            if self.min >= self.max:
                raise ValueError("max: must be greater than min")
            if self.max - self.min + 1 > MAX_SCALE_POINTS:
                raise ValueError(f"max: a scale has at most {MAX_SCALE_POINTS} points (e.g. 0-10)")
            if self.mid_label is not None and (self.max - self.min) % 2:
                raise ValueError("mid_label: needs a middle point (an odd number of points, e.g. 1-5 or 0-10)")
        else:
            for name in ("min", "max", "min_label", "mid_label", "max_label"):
                if name in given and getattr(self, name) is not None:
                    raise ValueError(f"{name}: only allowed for scale questions")
        if self.type in ("single", "multi"):
            if len(self.choices) < 2:
                raise ValueError("choices: a single/multi choice question needs at least 2 choices")
            if len(self.choices) > MAX_CHOICES:
                raise ValueError(f"choices: at most {MAX_CHOICES} choices")
            ids = [choice.id for choice in self.choices]
            duplicates = sorted({choice_id for choice_id in ids if ids.count(choice_id) > 1})
            if duplicates:
                raise ValueError(f"choices: duplicate choice id(s): {', '.join(duplicates)}")
            if self.type == "single" and any(choice.exclusive for choice in self.choices):
                raise ValueError("choices: exclusive is only for multi-choice questions (a single choice is exclusive)")
            if all(choice.exclusive for choice in self.choices):
                raise ValueError("choices: at least one choice must not be exclusive")
        elif self.choices:
            raise ValueError("choices: only allowed for single and multi questions")
        if self.unsure and self.type not in ("scale", "yes_no"):
            raise ValueError("unsure: only for scale and yes_no questions (add a choice to single/multi instead)")
        if self.type == "text":
            if not 1 <= self.max_length <= MAX_TEXT_LENGTH:
                raise ValueError(f"max_length: must be between 1 and {MAX_TEXT_LENGTH}")
        elif "max_length" in given:
            raise ValueError("max_length: only allowed for text questions")
        return self

    def choice(self, choice_id: str) -> Choice | None:
        return next((choice for choice in self.choices if choice.id == choice_id), None)

    @property
    def scale_points(self) -> list[int]:
        if self.type != "scale" or self.min is None or self.max is None:
            return []
        return list(range(self.min, self.max + 1))

    @property
    def mid(self) -> int | None:
        """The middle point of a scale with an odd number of points (None otherwise)."""
        if self.type != "scale" or self.min is None or self.max is None or (self.max - self.min) % 2:
            return None
        return (self.min + self.max) // 2

    def point_label(self, value: object) -> Localized | None:
        """The label of a scale point, if it has one (min, middle, max)."""
        if self.type != "scale" or isinstance(value, bool):
            return None
        if value == self.min:
            return self.min_label
        if value == self.max:
            return self.max_label
        if value == self.mid:
            return self.mid_label
        return None


class Survey(_Strict):
    id: str
    title: Localized
    intro: Localized
    # Why these answers are collected and what they are used for: the first line of the consent message (the
    # rest of the consent is built from the survey's settings, see handlers/survey_views.consent_text).
    purpose: Localized | None = None
    open: bool = True
    allow_repeat: bool = False
    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not SURVEY_ID_PATTERN.match(value):
            raise ValueError(f"a survey id must match {SURVEY_ID_PATTERN.pattern} (lower-case ascii, ≤ 40 chars)")
        if len(DEEP_LINK_PREFIX + value) > 64:  # pragma: no cover - implied by the pattern
            raise ValueError("too long for a deep link")
        return value

    @field_validator("questions")
    @classmethod
    def _unique_questions(cls, value: list[Question]) -> list[Question]:
        ids = [question.id for question in value]
        duplicates = sorted({question_id for question_id in ids if ids.count(question_id) > 1})
        if duplicates:
            raise ValueError(f"duplicate question id(s): {', '.join(duplicates)}")
        return value

    def question(self, question_id: str | None) -> Question | None:
        return next((question for question in self.questions if question.id == question_id), None)

    def index(self, question_id: str) -> int:
        """0-based position of a question (ValueError if unknown)."""
        for number, question in enumerate(self.questions):
            if question.id == question_id:
                return number
        raise ValueError(question_id)

    @property
    def deep_link_payload(self) -> str:
        return DEEP_LINK_PREFIX + self.id


# --- loading ------------------------------------------------------------------------------------------------


_FIELD_PREFIX = re.compile(r"^(min/max|min_label|mid_label|max_label|max_length|min|max|choices|unsure): ")


def _split_field(message: str) -> tuple[str, str]:
    """A type-specific check on a whole question says which field it is about: "max: ..."."""
    match = _FIELD_PREFIX.match(message)
    if match:
        return match.group(1), message[match.end():]
    return "type", message


def load_survey(path: Path) -> Survey:
    raw = read_yaml(path, SurveyDefinitionError)
    if raw is None:
        raise SurveyDefinitionError(f"{path}: the file is empty")
    if not isinstance(raw, dict):
        raise SurveyDefinitionError(f"{path}: field (top level): expected a mapping with id, title, intro, questions")
    try:
        return Survey.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = describe_location(raw, tuple(err["loc"]), {"questions": "question"})
            message = str(err["msg"]).removeprefix("Value error, ")
            if where.startswith("question") and where.endswith("field (top level)"):
                field_name, message = _split_field(message)
                where = where.rsplit("field", 1)[0] + f"field {field_name}"
            problems.append(f"{where}: {message}")
        raise SurveyDefinitionError(f"{path}: " + "; ".join(problems)) from exc


def load_surveys(directory: Path) -> dict[str, Survey]:
    """Every `*.yaml` / `*.yml` file in `directory`, one survey each, keyed by survey id."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SurveyDefinitionError(f"{directory}: not a directory")
    surveys: dict[str, Survey] = {}
    files: dict[str, Path] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        survey = load_survey(path)
        if survey.id in surveys:
            raise SurveyDefinitionError(
                f"{path}: field id: duplicate survey id '{survey.id}', already defined in {files[survey.id]}"
            )
        surveys[survey.id] = survey
        files[survey.id] = path
    return surveys
