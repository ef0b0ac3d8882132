"""Survey answers as plain text (not escaped), for /mydata and the survey messages. No Telegram."""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator

from .engine import Answer
from .schema import UNSURE, Question


def answer_text(question: Question, answer: Answer | None, language: str, texts: Translator) -> str:
    """An answer as plain text (not escaped)."""
    if answer is None or answer.skipped or answer.value is None:
        return texts(language, "survey.skipped")
    value: Any = answer.value
    if value == UNSURE and question.type in ("scale", "yes_no"):
        return texts(language, "survey.unsure")
    if question.type == "scale":
        point_label = question.point_label(value)
        label = point_label.get(language) if point_label is not None else None
        return f"{value} ({label})" if label else str(value)
    if question.type == "single":
        choice = question.choice(str(value))
        return choice.label.get(language) if choice else str(value)
    if question.type == "multi":
        labels = [choice.label.get(language) for choice in question.choices if choice.id in set(value)]
        return ", ".join(labels) or texts(language, "survey.skipped")
    if question.type == "yes_no":
        return texts(language, "survey.answer_yes" if value else "survey.answer_no")
    return str(value)
