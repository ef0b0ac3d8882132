"""Survey answer values: validating a button press or a typed message for a question, and their JSON storage.
No database, no Telegram."""

from __future__ import annotations

import json
from typing import Any

from .schema import UNSURE, Question, Survey


class InvalidAnswer(ValueError):
    """The input is not an answer to the pending question; nothing was changed.

    reason: use_buttons | empty | too_long | out_of_range | unknown_choice | choose_one | not_optional |
    wrong_type | first_question
    """

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details



def encode(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def decode(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def button_value(question: Question, raw: str) -> Any:
    """The stored value for a button press ("4", a choice id, "y"/"n", "unsure")."""
    if raw == UNSURE and question.unsure and question.type in ("scale", "yes_no"):
        return UNSURE
    if question.type == "scale":
        return _scale_point(question, raw, "out_of_range")
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
        return _scale_point(question, stripped, "use_buttons")
    raise InvalidAnswer("use_buttons")


def _scale_point(question: Question, raw: str, refusal: str) -> int:
    """`raw` as one of the question's scale points, else InvalidAnswer(refusal)."""
    try:
        value = int(raw)
    except ValueError:
        raise InvalidAnswer(refusal) from None
    if value not in question.scale_points:
        raise InvalidAnswer(refusal)
    return value


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
