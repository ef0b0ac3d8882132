"""The error handler: log first (the update's id, user and chat — no names, no text), then tell the user something
went wrong."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.accounts import preferred_language

from .common import services, telegram_code

log = logging.getLogger(__name__)


def describe(update: object) -> str:
    """What the log may say about an update: its id, the user id and chat id — never names or text."""
    if not isinstance(update, Update):
        return type(update).__name__
    user, chat = update.effective_user, update.effective_chat
    return (f"update {update.update_id} (user {user.id if user else None}, chat {chat.id if chat else None}, "
            f"{'callback' if update.callback_query else 'message' if update.effective_message else 'other'})")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling %s", describe(update), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        svc = services(context)
        language = preferred_language(None, telegram_code(update), svc.settings.default_language)
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, svc.texts(language, "errors.generic"))
    except Exception:  # the apology itself failed (e.g. Telegram unreachable): already logged above
        log.exception("could not tell the user about the error")
