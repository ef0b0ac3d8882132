"""Telegram handlers: they translate between Telegram updates and the Telegram-free logic in `bot/`.

`register()` is the one list of what the bot reacts to, in order. Group 0 holds commands and buttons; the
free-text Q&A handler and the catch-alls come last, so features that need a user's text first (e.g. a survey
question waiting for a free-text answer) register in an earlier group and stop further handling.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from . import commands, invitations, privacy, qa, staff, surveys
from .common import INVITE_PREFIX, SERVICES_KEY, SURVEY_PREFIX, parse, stale, unknown_command
from .errors import on_error
from .staff.invitations import show_progress

# Handlers in one group are tried in order and only the first that matches runs; groups run one after
# another. Features that may need a user's message *before* Q&A sees it (a survey waiting for a free-text
# answer) register in INTERCEPT_GROUP and raise ApplicationHandlerStop when they consumed it. Everything
# else lives in MAIN_GROUP, with the catch-alls (unknown command, stale button, non-text) registered last.
INTERCEPT_GROUP = 0
MAIN_GROUP = 1
# Before both: a staff member's reply to a handed-off question (staff group, or an admin's private chat) is
# delivered to the applicant and stops there — even if a survey question is pending for that admin. Any other
# reply falls through to the groups above.
STAFF_REPLY_GROUP = -1
# Before everything: a button press not on a message in a private chat (an inline message, a group) — the bot only
# puts buttons under its private messages, so it is forged — gets the stale-button answer and goes no further.
GUARD_GROUP = -2

# The update types the handlers below react to — all that polling (bot/__main__.py) or a webhook set-up asks
# Telegram for. Edited messages, channel posts, business messages, inline queries… are never delivered.
ALLOWED_UPDATES: list[str] = [Update.MESSAGE, Update.CALLBACK_QUERY]


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """All Q&A buttons: parse the data strictly, then dispatch; anything else is a stale/forged button."""
    callback = parse(update.callback_query.data if update.callback_query else None)
    if callback is None:
        await stale(update, context)
        return
    args = callback.args
    match callback.verb:
        case "qa.lang":
            await commands.on_language(update, context, *args)
        case "qa.menu":
            await commands.on_menu(update, context, *args)
        case "qa.topics":
            await commands.on_topics(update, context)
        case "qa.category":
            await commands.on_category(update, context, *args)
        case "qa.entry":
            await commands.on_entry(update, context, *args)
        case "qa.pick":
            await qa.on_pick(update, context, *args)
        case "qa.none":
            await qa.on_none(update, context, *args)
        case "qa.rate":
            await qa.on_rate(update, context, *args)
        case "qa.handoff":
            await qa.on_handoff(update, context, *args)
        case _:  # a survey or staff verb whose own handler did not take it
            await stale(update, context)


async def guard_buttons(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is not None and (query.message is None or query.message.chat.type != "private"):
        await stale(update, context)
        raise ApplicationHandlerStop


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # New messages in private chats only: not an edit of an old message (editing it into "/export x" must not run
    # the export again), not a business message (a private chat of a business account the bot is connected to).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    main = [
        CommandHandler("start", commands.start, filters=private),
        CommandHandler("help", commands.help_command, filters=private),
        CommandHandler("language", commands.language_command, filters=private),
        CommandHandler("topics", commands.topics, filters=private),
        CommandHandler("feedback", surveys.feedback_command, filters=private),
        CommandHandler("mydata", privacy.mydata_command, filters=private),
        CommandHandler("forget", privacy.forget_command, filters=private),
        CommandHandler("cancel", surveys.cancel_command, filters=private),
        CommandHandler("stop", invitations.stop_command, filters=private),  # no more survey invitations
        CallbackQueryHandler(invitations.on_callback, pattern=f"^{INVITE_PREFIX}"),  # inv:… under an invitation
        CallbackQueryHandler(privacy.on_callback, pattern=privacy.CALLBACK_PATTERN),  # /forget confirm
        CallbackQueryHandler(surveys.on_callback, pattern=f"^{SURVEY_PREFIX}"),  # sv:… survey buttons
        *staff.handlers(private),  # /stats, /export… and adm:… buttons; the staff role is checked inside
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, qa.on_text),
    ]
    catch_alls = [
        CallbackQueryHandler(on_callback),  # Q&A buttons, and the "stale button" answer for anything else
        MessageHandler(private & filters.COMMAND, unknown_command),
        MessageHandler(private & ~filters.TEXT, commands.non_text),
    ]
    application.add_handlers(main + catch_alls, group=MAIN_GROUP)
    # A survey question is pending: the user's next non-command message (text, sticker, photo…) is for it.
    application.add_handler(
        MessageHandler(private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, surveys.intercept),
        group=INTERCEPT_GROUP,
    )
    application.add_handlers(
        [staff.reply_handler(application.bot_data[SERVICES_KEY].settings), staff.migration_handler()],
        group=STAFF_REPLY_GROUP,
    )
    application.add_handler(TypeHandler(Update, guard_buttons), group=GUARD_GROUP)
    application.add_error_handler(on_error)


async def start_background(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Background work of a running bot (not of tests' bare Applications): the survey invitation worker."""
    await invitations.start_worker(application, show_progress)


async def stop_background(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await invitations.stop_worker(application)
