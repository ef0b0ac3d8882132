"""The error handler: log first (with the update), then tell the user something went wrong."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.accounts import preferred_language

from .common import services, telegram_code

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling an update: %r", update, exc_info=context.error)
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
