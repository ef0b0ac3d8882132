"""/mydata and /forget: what the bot stores about a user, and deleting it (use cases: `bot.privacy.Privacy`)."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.db.personal_data import UserData
from bot.formatting import escape, pack, plain_block
from bot.i18n import Translator
from bot.surveys.engine import Answer
from bot.surveys.render import answer_text
from bot.surveys.schema import Survey
from bot.surveys.values import decode

from .common import SHAPES, button, chat_id, markup, parse, reply_language, services, stale, telegram_code, user_id

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
    invitations_off = data.user is not None and data.user.invitations_off
    blocks.append(texts(language, "privacy.invitations", count=data.invitations,
                        state=texts(language, "privacy.invitations_off" if invitations_off else "privacy.invitations_on")))
    blocks.append(texts(language, "privacy.responses", count=len(data.survey_responses)))
    for response, answers in data.survey_responses:
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
    blocks.append(texts(language, "privacy.anonymous_note"))
    blocks.append(texts(language, "privacy.forget_hint"))
    return pack(blocks, separator="\n")


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
    forgotten = await svc.privacy.forget(user_id(update), telegram_code(update), confirmed=callback.args[0] == "y")
    await query.answer()
    if forgotten.deleted is None:
        text = svc.texts(forgotten.language, "privacy.forget_kept")
    else:
        text = svc.texts(forgotten.language, "privacy.forgotten", count=forgotten.deleted)
    try:
        await query.edit_message_text(text)
    except BadRequest as exc:  # a message too old or unchanged: cosmetic
        log.debug("could not edit the /forget message: %s", exc)
