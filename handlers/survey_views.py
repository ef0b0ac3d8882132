"""How surveys look in Telegram: question messages, their keyboards, answer summaries.

Callback data: the `sv.*` shapes of the one grammar in `handlers.common`. Response and question ids make every
button refer to exactly one question of one response: a button of an earlier message is recognised as stale
instead of changing the wrong answer.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.formatting import TELEGRAM_TEXT_LIMIT, escape, pack, plain_block
from bot.i18n import Translator
from bot.surveys.engine import Answer, Progress
from bot.surveys.render import answer_text
from bot.surveys.schema import UNSURE, Question, Survey

from .common import button, markup

# --- offering -------------------------------------------------------------------------------------------------


def survey_list(surveys: list[Survey], language: str) -> InlineKeyboardMarkup:
    return markup([[button(survey.title.get(language), "sv.offer", survey.id)] for survey in surveys])


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
    return markup(
        [
            [button(texts(language, "survey.agree"), "sv.consent", survey.id, "a")],
            [button(texts(language, "survey.anonymous"), "sv.consent", survey.id, "n")],
            [button(texts(language, "survey.decline"), "sv.consent", survey.id, "x")],
        ]
    )


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
    prefix = (progress.response_id, question.id)
    current = progress.current
    value = None if current is None or current.skipped else current.value
    rows: list[list[InlineKeyboardButton]] = []

    def mark(selected: bool, label: str) -> str:
        return f"✓ {label}" if selected else label

    if question.type == "scale":
        points = question.scale_points
        per_row = len(points) if len(points) <= 6 else (len(points) + 1) // 2
        for start in range(0, len(points), per_row):
            rows.append([button(mark(point == value, str(point)), "sv.answer", *prefix, point)
                         for point in points[start:start + per_row]])
    elif question.type == "single":
        rows.extend([[button(mark(choice.id == value, choice.label.get(language)), "sv.answer", *prefix, choice.id)]
                     for choice in question.choices])
    elif question.type == "yes_no":
        rows.append([button(mark(value is True, texts(language, "survey.answer_yes")), "sv.answer", *prefix, "y"),
                     button(mark(value is False, texts(language, "survey.answer_no")), "sv.answer", *prefix, "n")])
    elif question.type == "multi":
        chosen = set(value or [])
        rows.extend([[button(("☑️ " if choice.id in chosen else "◻️ ") + choice.label.get(language),
                             "sv.toggle", *prefix, choice.id)] for choice in question.choices])
        rows.append([button(texts(language, "survey.done"), "sv.done", *prefix)])
    elif question.type == "text" and value is not None:
        rows.append([button(texts(language, "survey.keep"), "sv.keep", *prefix)])
    if question.unsure and question.type in ("scale", "yes_no"):
        rows.append([button(mark(value == UNSURE, texts(language, "survey.unsure")), "sv.answer", *prefix, UNSURE)])
    navigation = []
    if progress.number > 1:
        navigation.append(button(texts(language, "survey.back"), "sv.back", *prefix))
    if question.optional:
        navigation.append(button(texts(language, "survey.skip"), "sv.skip", *prefix))
    navigation.append(button(texts(language, "survey.cancel"), "sv.cancel", progress.response_id))
    rows.append(navigation)
    return markup(rows)


def continue_keyboard(response_id: int, language: str, texts: Translator) -> InlineKeyboardMarkup:
    return markup([[button(texts(language, "survey.continue"), "sv.resume", response_id),
                     button(texts(language, "survey.cancel"), "sv.cancel", response_id)]])


# --- answers ----------------------------------------------------------------------------------------------------


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
