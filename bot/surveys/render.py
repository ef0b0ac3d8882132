"""Survey answers as plain text (not escaped), for /mydata and the survey messages. No Telegram."""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator

from .engine import Answer
from .schema import Question


def answer_text(question: Question, answer: Answer | None, language: str, texts: Translator) -> str:
    """An answer as plain text (not escaped)."""
    if answer is None or answer.skipped or answer.value is None:
        return texts(language, "survey.skipped")
    value: Any = answer.value
    if question.type == "scale":
        label = None
        if value == question.min and question.min_label:
            label = question.min_label.get(language)
        elif value == question.max and question.max_label:
            label = question.max_label.get(language)
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
