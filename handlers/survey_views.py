"""How surveys look in Telegram: question messages, their keyboards, answer summaries, and the callback data.

Callback data (all `sv:…`, ASCII, ≤ 64 bytes — `parse()` accepts only these shapes):

    sv:s:<survey>                 offer a survey (consent message)
    sv:c:<survey>:<a|n|x>         consent: agree / anonymous / no thanks
    sv:a:<response>:<q>:<value>   answer a scale (number), single (choice id) or yes/no (y|n) question
    sv:t:<response>:<q>:<choice>  toggle a multi-choice option      sv:d:<response>:<q>  multi-choice done
    sv:k:<response>:<q>  skip     sv:n:<response>:<q>  keep the stored answer     sv:b:<response>:<q>  back
    sv:x:<response>      cancel   sv:r:<response>      continue (reminder)         sv:f:<y|n>  /forget confirm

Response and question ids make every button refer to exactly one question of one response: a button of an
earlier message is recognised as stale instead of changing the wrong answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.formatting import TELEGRAM_TEXT_LIMIT, escape, pack, plain_block
from bot.i18n import Translator
from bot.surveys.engine import Answer, Progress
from bot.surveys.schema import UNSURE, Question, Survey

_SURVEY = r"([a-z][a-z0-9_]{0,39})"
_RESPONSE = r"(\d{1,12})"
_QUESTION = r"([a-z][a-z0-9_]{0,23})"
_CHOICE = r"([a-z0-9][a-z0-9_]{0,15})"

_PATTERNS = {
    "offer": re.compile(rf"^sv:s:{_SURVEY}$"),
    "consent": re.compile(rf"^sv:c:{_SURVEY}:([anx])$"),
    "answer": re.compile(rf"^sv:a:{_RESPONSE}:{_QUESTION}:(-?\d{{1,3}}|{_CHOICE[1:-1]})$"),
    "toggle": re.compile(rf"^sv:t:{_RESPONSE}:{_QUESTION}:{_CHOICE}$"),
    "done": re.compile(rf"^sv:d:{_RESPONSE}:{_QUESTION}$"),
    "skip": re.compile(rf"^sv:k:{_RESPONSE}:{_QUESTION}$"),
    "keep": re.compile(rf"^sv:n:{_RESPONSE}:{_QUESTION}$"),
    "back": re.compile(rf"^sv:b:{_RESPONSE}:{_QUESTION}$"),
    "cancel": re.compile(rf"^sv:x:{_RESPONSE}$"),
    "resume": re.compile(rf"^sv:r:{_RESPONSE}$"),
    "forget": re.compile(r"^sv:f:([yn])$"),
}
CALLBACK_PATTERN = r"^sv:"


@dataclass(frozen=True)
class SurveyCallback:
    verb: str
    args: tuple[str, ...]


def parse(data: str | None) -> SurveyCallback | None:
    if not data or len(data.encode()) > 64:
        return None
    for verb, pattern in _PATTERNS.items():
        match = pattern.match(data)
        if match:
            return SurveyCallback(verb, match.groups())
    return None


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([row for row in rows if row])


def _button(text: str, data: str) -> InlineKeyboardButton:
    assert len(data.encode()) <= 64, data
    return InlineKeyboardButton(text, callback_data=data)


# --- offering -------------------------------------------------------------------------------------------------


def survey_list(surveys: list[Survey], language: str) -> InlineKeyboardMarkup:
    return _markup([[_button(survey.title.get(language), f"sv:s:{survey.id}")] for survey in surveys])


def consent_text(survey: Survey, language: str, texts: Translator, reminder_hours: float) -> str:
    """Three short lines (the survey's purpose, with my ID, anonymously), then the details in an expandable
    block quote. The details are chosen by the survey's settings (allow_repeat), so they cannot drift from
    what the engine does; `survey.purpose` is the survey's own first line."""
    purpose = (escape(survey.purpose.get(language)) if survey.purpose is not None
               else texts(language, "survey.consent.purpose_default"))
    repeat = "repeat" if survey.allow_repeat else "once"
    details = [
        texts(language, "survey.consent.details_title"),
        texts(language, "survey.consent.who"),
        texts(language, "survey.consent.named_details"),
        texts(language, "survey.consent.anonymous_details"),
        texts(language, f"survey.consent.key_{repeat}"),
        texts(language, "survey.consent.reminder", hours=f"{reminder_hours:g}"),
        texts(language, f"survey.consent.{repeat}"),
        texts(language, "survey.consent.cancel"),
        texts(language, "survey.consent.forget"),
        texts(language, "survey.consent.how_long"),
    ]
    return (
        f"<b>{escape(survey.title.get(language))}</b>\n{escape(survey.intro.get(language))}\n"
        + texts(language, "survey.consent.questions", count=len(survey.questions))
        + f"\n\n{purpose}\n"
        + texts(language, "survey.consent.named") + "\n"
        + texts(language, "survey.consent.anonymous") + "\n"
        + "<blockquote expandable>" + "\n".join(details) + "</blockquote>"
    )


def consent_keyboard(survey: Survey, language: str, texts: Translator) -> InlineKeyboardMarkup:
    return _markup(
        [
            [_button(texts(language, "survey.agree"), f"sv:c:{survey.id}:a")],
            [_button(texts(language, "survey.anonymous"), f"sv:c:{survey.id}:n")],
            [_button(texts(language, "survey.decline"), f"sv:c:{survey.id}:x")],
        ]
    )


def feedback_button(survey_id: str, language: str, texts: Translator) -> InlineKeyboardButton:
    return _button(texts(language, "survey.feedback_button"), f"sv:s:{survey_id}")


# --- questions --------------------------------------------------------------------------------------------------


def question_text(progress: Progress, texts: Translator, note: str | None = None) -> str:
    """"⚠️ note", "3/9 · title", the question, and a hint for how to answer it."""
    question = progress.question
    assert question is not None
    language = progress.language
    parts = [note] if note else []
    parts.append(f"<b>{progress.number}/{progress.total}</b> · <i>{escape(progress.survey.title.get(language))}</i>")
    body = f"<b>{escape(question.text.get(language))}</b>"
    hint = _hint(question, language, texts)
    if hint:
        body += f"\n<i>{hint}</i>"
    current = progress.current
    if question.type == "text" and current is not None and not current.skipped:
        shown = str(current.value)
        if len(shown) > 300:
            shown = shown[:300] + "…"
        body += "\n" + texts(language, "survey.current_text", answer=escape(shown))
    parts.append(body)
    return "\n\n".join(parts)


def _hint(question: Question, language: str, texts: Translator) -> str:
    if question.type == "scale" and question.min_label and question.max_label:
        hint = texts(language, "survey.hint_scale", min=question.min, max=question.max,
                     min_label=escape(question.min_label.get(language)),
                     max_label=escape(question.max_label.get(language)))
        if question.mid_label is not None and question.mid is not None:
            hint = texts(language, "survey.hint_scale_mid", min=question.min, max=question.max, mid=question.mid,
                         min_label=escape(question.min_label.get(language)),
                         mid_label=escape(question.mid_label.get(language)),
                         max_label=escape(question.max_label.get(language)))
        return hint
    if question.type == "multi":
        return texts(language, "survey.hint_multi")
    if question.type == "text":
        return texts(language, "survey.hint_text", max_length=question.max_length)
    return ""


def question_keyboard(progress: Progress, texts: Translator) -> InlineKeyboardMarkup:
    question = progress.question
    assert question is not None
    language = progress.language
    prefix = f"{progress.response_id}:{question.id}"
    current = progress.current
    value = None if current is None or current.skipped else current.value
    rows: list[list[InlineKeyboardButton]] = []

    def mark(selected: bool, label: str) -> str:
        return f"✓ {label}" if selected else label

    if question.type == "scale":
        points = question.scale_points
        per_row = len(points) if len(points) <= 6 else (len(points) + 1) // 2
        for start in range(0, len(points), per_row):
            rows.append([_button(mark(point == value, str(point)), f"sv:a:{prefix}:{point}")
                         for point in points[start:start + per_row]])
    elif question.type == "single":
        rows.extend([[_button(mark(choice.id == value, choice.label.get(language)), f"sv:a:{prefix}:{choice.id}")]
                     for choice in question.choices])
    elif question.type == "yes_no":
        rows.append([_button(mark(value is True, texts(language, "survey.answer_yes")), f"sv:a:{prefix}:y"),
                     _button(mark(value is False, texts(language, "survey.answer_no")), f"sv:a:{prefix}:n")])
    if question.unsure and question.type in ("scale", "yes_no"):
        rows.append([_button(mark(value == UNSURE, texts(language, "survey.unsure")), f"sv:a:{prefix}:{UNSURE}")])
    elif question.type == "multi":
        chosen = set(value or [])
        rows.extend([[_button(("☑️ " if choice.id in chosen else "◻️ ") + choice.label.get(language),
                              f"sv:t:{prefix}:{choice.id}")] for choice in question.choices])
        rows.append([_button(texts(language, "survey.done"), f"sv:d:{prefix}")])
    elif question.type == "text" and value is not None:
        rows.append([_button(texts(language, "survey.keep"), f"sv:n:{prefix}")])
    navigation = []
    if progress.number > 1:
        navigation.append(_button(texts(language, "survey.back"), f"sv:b:{prefix}"))
    if question.optional:
        navigation.append(_button(texts(language, "survey.skip"), f"sv:k:{prefix}"))
    navigation.append(_button(texts(language, "survey.cancel"), f"sv:x:{progress.response_id}"))
    rows.append(navigation)
    return _markup(rows)


def continue_keyboard(response_id: int, language: str, texts: Translator) -> InlineKeyboardMarkup:
    return _markup([[_button(texts(language, "survey.continue"), f"sv:r:{response_id}"),
                     _button(texts(language, "survey.cancel"), f"sv:x:{response_id}")]])


# --- answers ----------------------------------------------------------------------------------------------------


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


def answered_text(progress_before: Progress, question: Question, answer: Answer | None, texts: Translator) -> str:
    """The question message after it was answered: the question, then "Your answer: …" (no buttons)."""
    language = progress_before.language
    number = progress_before.survey.index(question.id) + 1
    shown = answer_text(question, answer, language, texts)
    if len(shown) > 500:
        shown = shown[:500] + "…"
    return (f"<b>{number}/{progress_before.total}</b> · <i>{escape(progress_before.survey.title.get(language))}</i>"
            f"\n\n<b>{escape(question.text.get(language))}</b>\n"
            + texts(language, "survey.your_answer", answer=escape(shown)))


def summary_messages(progress: Progress, texts: Translator) -> list[str]:
    """Thanks and every answer, packed into as few messages as fit."""
    language = progress.language
    blocks = [texts(language, "survey.completed", title=escape(progress.survey.title.get(language)))]
    for number, (question, answer) in enumerate(progress.summary(), start=1):
        blocks.append(f"\n<b>{number}. {escape(question.text.get(language))}</b>")
        blocks.extend(plain_block(answer_text(question, answer, language, texts), TELEGRAM_TEXT_LIMIT - 100))
    if progress.anonymous:
        blocks.append("\n" + texts(language, "survey.completed_anonymous"))
    return pack(blocks, separator="\n")
