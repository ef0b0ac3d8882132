"""/mydata and /forget: what the bot stores about a user, and deleting it (use cases: `bot.privacy.Privacy`)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.db.models import SurveyAnswer, SurveyResponse
from bot.db.personal_data import UserData
from bot.formatting import escape, pack, plain_block
from bot.i18n import Translator
from bot.surveys.engine import Answer
from bot.surveys.render import answer_text
from bot.surveys.schema import Survey
from bot.surveys.values import decode

from .common import (
    SERVICES_KEY,
    SHAPES,
    button,
    chat_id,
    edit_text,
    markup,
    parse,
    reply_language,
    services,
    stale,
    telegram_code,
    user_id,
)

log = logging.getLogger(__name__)

CALLBACK_PATTERN = "^" + SHAPES["privacy.forget"].split("{")[0]  # the /forget confirm buttons


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "—"


def my_data_messages(data: UserData, surveys: dict[str, Survey], texts: Translator, language: str) -> list[str]:
    blocks = [texts(language, "privacy.title")]
    if data.user is not None:
        blocks.append(texts(language, "privacy.profile",
                            chosen=escape(data.user.language or texts(language, "privacy.not_set")),
                            telegram=escape(data.user.telegram_language or texts(language, "privacy.not_set")),
                            created=_date(data.user.created_at), seen=_date(data.user.last_seen_at)))
    blocks.append(texts(language, "privacy.questions", count=data.question_count))
    if data.recent_questions:
        lines = [texts(language, "privacy.recent")]
        for question in data.recent_questions:
            shown = question.text if len(question.text) <= 200 else question.text[:200] + "…"
            lines.append(f"  – «{escape(shown)}» ({_date(question.created_at)})")
        blocks.append("\n".join(lines))
    blocks.append(texts(language, "privacy.ratings", up=data.ratings_up, down=data.ratings_down))
    blocks.append(texts(language, "privacy.handoffs", count=len(data.handoffs), open=data.open_handoffs))
    if data.handoff_posts:
        blocks.append(texts(language, "privacy.handoff_posts", count=data.handoff_posts))
    invitations_off = data.user is not None and data.user.invitations_off
    blocks.append(texts(language, "privacy.invitations", count=data.invitations,
                        state=texts(language, "privacy.invitations_off" if invitations_off else "privacy.invitations_on")))
    blocks.append(texts(language, "privacy.responses", count=len(data.survey_responses)))
    blocks += _responses(data.survey_responses, surveys, texts, language)
    if data.anonymous_unfinished:
        blocks.append(texts(language, "privacy.anonymous_unfinished", count=len(data.anonymous_unfinished)))
        blocks += _responses(data.anonymous_unfinished, surveys, texts, language)
    if data.completion_markers:
        blocks.append(texts(language, "privacy.markers", count=data.completion_markers))
    if data.reminders:
        blocks.append(texts(language, "privacy.reminders", count=data.reminders))
    if data.staff_actions:
        blocks.append(texts(language, "privacy.staff_actions", count=data.staff_actions))
    blocks.append(texts(language, "privacy.anonymous_note"))
    blocks.append(texts(language, "privacy.forget_hint"))
    return pack(blocks, separator="\n")


def _responses(responses: list[tuple[SurveyResponse, list[SurveyAnswer]]], surveys: dict[str, Survey],
               texts: Translator, language: str) -> list[str]:
    blocks: list[str] = []
    for response, answers in responses:
        survey = surveys.get(response.survey_id)
        title = survey.title.get(language) if survey else response.survey_id
        status = texts(language, f"privacy.status_{response.status}")
        blocks.append(texts(language, "privacy.response", title=escape(title), status=status,
                            date=_date(response.completed_at or response.started_at)))
        for row in answers:
            asked = survey.question(row.question_id) if survey else None
            if asked is None:
                continue
            shown = answer_text(asked, Answer(decode(row.value), row.skipped), language, texts)
            blocks.extend(plain_block(f"  {asked.text.get(language)} — {shown}", 3000))
    return blocks


async def mydata_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: everything the bot stores under the user's Telegram id."""
    svc = services(context)
    language, data = await svc.privacy.my_data(user_id(update), telegram_code(update))
    if data.empty:
        messages = [svc.texts(language, "privacy.nothing")]
    else:
        messages = my_data_messages(data, svc.survey_engine.surveys, svc.texts, language)
    for text in messages:
        await context.bot.send_message(chat_id(update), text)


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: what will be deleted, and a confirm button."""
    svc = services(context)
    language = await reply_language(update, context)
    keyboard = markup([[button(svc.texts(language, "privacy.forget_yes"), "privacy.forget", "y"),
                        button(svc.texts(language, "privacy.forget_no"), "privacy.forget", "n")]])
    await context.bot.send_message(chat_id(update), svc.texts(language, "privacy.forget_confirm"), reply_markup=keyboard)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The /forget confirm buttons."""
    svc = services(context)
    query = update.callback_query
    callback = parse(query.data if query else None)
    if query is None or callback is None or callback.verb != "privacy.forget":
        await stale(update, context)
        return

    async def edit(chat: int, message: int, text: str) -> bool:
        try:
            await context.bot.edit_message_text(text, chat_id=chat, message_id=message)
        except TelegramError as exc:  # too old, deleted by staff, the bot left the chat: the rows are gone anyway
            log.warning("could not mark a hand-off post in chat %s as removed: %s", chat, exc)
            return False
        return True

    forgotten = await svc.privacy.forget(user_id(update), telegram_code(update), confirmed=callback.args[0] == "y",
                                         edit=edit)
    await query.answer()
    if forgotten.deleted is None:
        text = svc.texts(forgotten.language, "privacy.forget_kept")
    else:
        text = svc.texts(forgotten.language, "privacy.forgotten", count=forgotten.deleted)
    await edit_text(query, text)


async def retention_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    if svc.settings.retention_days is not None:
        await svc.privacy.purge(svc.settings.retention_days)


def schedule_retention(application: Application[Any, Any, Any, Any, Any, Any], interval_seconds: float) -> None:
    """RETENTION_DAYS set: a repeating job deletes what is older (bot.privacy.Privacy.purge)."""
    if application.bot_data[SERVICES_KEY].settings.retention_days is None:
        return
    if application.job_queue is None:
        log.warning("no job queue (install python-telegram-bot[job-queue]): RETENTION_DAYS is not applied")
        return
    application.job_queue.run_repeating(retention_job, interval=interval_seconds, first=60.0, name="retention")
