"""The error handler: log first, then tell the user something went wrong. It must never fail itself — whatever
the update (None, not an Update, half-built) and whatever Telegram says to the apology.

The log names the update and the user by id only: an update's content (names, message text) is personal data
and does not belong in a log that outlives /forget.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.accounts import preferred_language

from .common import services, telegram_code

log = logging.getLogger(__name__)


def _ids(update: object) -> tuple[object, object]:
    """The update's id and its user's id (None when there is none), read defensively."""
    if not isinstance(update, Update):
        return None, None
    try:
        user = update.effective_user
        return update.update_id, user.id if user is not None else None
    except Exception:  # a broken update: its id is still worth logging
        return getattr(update, "update_id", None), None


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        update_id, user_id = _ids(update)
        log.error("error while handling update %s (user %s)", update_id, user_id, exc_info=context.error)
        await _apologise(update, context)
    except Exception:  # the error handler's last line of defence
        with contextlib.suppress(Exception):  # even logging failed: nothing left to do
            log.exception("the error handler failed")


async def _apologise(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not isinstance(update, Update):
        return
    chat = update.effective_chat
    if chat is None or chat.type == "channel":
        return
    svc = services(context)
    language = preferred_language(None, telegram_code(update), svc.settings.default_language)
    if update.callback_query is not None:
        # The handler may have answered the button already (Telegram then refuses a second answer): try, and
        # send the apology whatever happens.
        try:
            await update.callback_query.answer()
        except TelegramError as exc:
            log.debug("could not answer the button of update %s: %s", update.update_id, exc)
    try:
        await context.bot.send_message(chat.id, svc.texts(language, "errors.generic"))
    except TelegramError as exc:  # e.g. Telegram unreachable, or the user blocked the bot
        log.warning("could not tell the user about the error in update %s: %s", update.update_id, exc)
