"""Hand-offs on the staff side (use cases: `bot.handoff.Handoffs`): staff replies, /handoffs, the retry job and
following the staff group when Telegram turns it into a supergroup.

A staff member *replies* (Telegram's reply-to) to a hand-off message: the reply's text is sent to the applicant in
the bot's name, the request is marked answered, the action audited, and the staff member gets a confirmation.
Only ADMIN_IDS and STAFF_IDS may answer — in the staff group too: being a member of the group is not enough (anyone
added to it could otherwise write to any applicant as the bot). In a private chat only an admin's reply counts.
A private reply that is not to a hand-off message is left for the normal handlers.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot.config import Settings
from bot.formatting import escape, pack
from bot.handoff import OpenHandoff, ReplyState, excerpt
from bot.i18n import Translator

from ..common import send_html, services, staff_poster
from .access import count_arg, staff_only

log = logging.getLogger(__name__)

HANDOFF_MARK = "🙋"  # first character of every staff.handoff.new text


def _looks_like_handoff(message: Message, bot_id: int) -> bool:
    """A bot message with the handoff header (staff.handoff.new starts with HANDOFF_MARK in every language)."""
    return bool(message.from_user and message.from_user.id == bot_id and (message.text or "").startswith(HANDOFF_MARK))


async def on_staff_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply in the staff group / an admin's chat. If it answers a handoff message, deliver it and stop."""
    svc = services(context)
    settings = svc.settings
    message, chat, staff_member = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or staff_member is None or message.reply_to_message is None:
        return
    in_staff_group = chat.type != "private" and chat.id in await svc.handoffs.staff_chats()
    in_admin_chat = chat.type == "private" and staff_member.id in settings.admin_ids
    if not (in_staff_group or in_admin_chat) or staff_member.is_bot:
        return

    async def send(target: int, text: str) -> int | None:
        try:
            return (await context.bot.send_message(target, text)).message_id
        except TelegramError as exc:  # e.g. Forbidden: the applicant blocked the bot
            log.warning("handoff reply to chat %s not delivered: %s", target, exc)
            return None

    replied = await svc.handoffs.reply(chat.id, message.reply_to_message.message_id, staff_member.id,
                                       staff_member.language_code, in_staff_group, message.text, send)
    language = replied.staff_language
    if replied.state == ReplyState.NOT_HANDOFF:
        if _looks_like_handoff(message.reply_to_message, context.bot.id):  # e.g. the applicant used /forget
            await message.reply_text(svc.texts(language, "staff.handoff.gone"))
            raise ApplicationHandlerStop
        return  # not a reply to a handoff message: in a private chat, Q&A and the rest handle it
    if replied.state == ReplyState.NOT_STAFF:
        await message.reply_text(svc.texts(language, "staff.handoff.not_staff"))
    elif replied.state == ReplyState.TEXT_ONLY:
        await message.reply_text(svc.texts(language, "staff.handoff.text_only"))
    elif replied.state == ReplyState.FAILED:
        await message.reply_text(svc.texts(language, "staff.handoff.failed", id=replied.request_id))
    else:
        await message.reply_text(svc.texts(language, "staff.handoff.delivered", id=replied.request_id))
    raise ApplicationHandlerStop


def reply_handler(settings: Settings) -> MessageHandler[ContextTypes.DEFAULT_TYPE, None]:
    """Replies in groups (the staff group, wherever it moved) and in admins' private chats; the handler checks
    the chat, who replies and what they reply to."""
    where = filters.ChatType.PRIVATE & filters.User(user_id=settings.admin_ids)
    if settings.staff_chat_id is not None:
        where = where | filters.ChatType.GROUPS
    return MessageHandler(filters.REPLY & filters.UpdateType.MESSAGE & ~filters.COMMAND & where, on_staff_reply)


async def on_chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The service message of a group turned supergroup (in the old chat: migrate_to_chat_id; in the new one:
    migrate_from_chat_id). If it is the staff group, hand-offs follow it."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    await services(context).handoffs.chat_moved(old, new)


def migration_handler() -> MessageHandler[ContextTypes.DEFAULT_TYPE, None]:
    return MessageHandler(filters.StatusUpdate.MIGRATE, on_chat_migrated)


# --- /handoffs and the retry job ------------------------------------------------------------------------------

HANDOFFS_DEFAULT, HANDOFFS_MAX = 20, 50


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def handoff_block(item: OpenHandoff, texts: Translator, language: str) -> str:
    state = (texts(language, "staff.handoffs.delivered") if item.delivered
             else texts(language, "staff.handoffs.undelivered", attempts=item.attempts, next=_when(item.next_attempt_at)))
    return texts(language, "staff.handoffs.item", id=item.id, date=_when(item.created_at), lang=escape(item.language),
                 state=state, text=escape(excerpt(item.text, 300)))


@staff_only("handoffs")
async def handoffs_command(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, args: list[str]) -> None:
    """/handoffs [N] — open questions for staff, oldest first, saying which never reached a staff chat."""
    svc = services(context)
    items = await svc.handoffs.open_requests(count_arg(args[0] if args else None, HANDOFFS_DEFAULT, HANDOFFS_MAX))
    if not items:
        await send_html(update, context, [svc.texts(language, "staff.handoffs.none")])
        return
    blocks = [svc.texts(language, "staff.handoffs.header", count=len(items))]
    blocks += [handoff_block(item, svc.texts, language) for item in items]
    await send_html(update, context, pack(blocks))


async def retry_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    delivered = await services(context).handoffs.retry_undelivered(staff_poster(context.bot))
    if delivered:
        log.info("delivered %d hand-off(s) to staff on a retry", delivered)


def schedule_retries(application: Application[Any, Any, Any, Any, Any, Any], interval_seconds: float) -> None:
    """A repeating job that posts undelivered hand-offs (the back-off lives in the database)."""
    if application.job_queue is None:
        log.warning("no job queue (install python-telegram-bot[job-queue]): undelivered hand-offs are not retried")
        return
    application.job_queue.run_repeating(retry_job, interval=interval_seconds, first=min(15.0, interval_seconds),
                                        name="handoff-retries")
