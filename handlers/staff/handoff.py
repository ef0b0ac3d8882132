"""Staff replies to handed-off questions (use case: `bot.handoff.Handoffs.reply`).

A staff member *replies* (Telegram's reply-to) to a hand-off message: the reply's text is sent to the applicant in
the bot's name, the request is marked answered, the action audited, and the staff member gets a confirmation.
In the staff group any member may answer: membership of that group *is* the staff role there (it is set up by the
programme, and a reply reaches only the one applicant who asked). In a private chat only an admin's reply counts.
A private reply that is not to a hand-off message is left for the normal handlers.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot.config import Settings
from bot.handoff import ReplyState

from ..common import services

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
    in_staff_group = settings.staff_chat_id is not None and chat.id == settings.staff_chat_id
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
    if replied.state == ReplyState.TEXT_ONLY:
        await message.reply_text(svc.texts(language, "staff.handoff.text_only"))
    elif replied.state == ReplyState.FAILED:
        await message.reply_text(svc.texts(language, "staff.handoff.failed", id=replied.request_id))
    else:
        await message.reply_text(svc.texts(language, "staff.handoff.delivered", id=replied.request_id))
    raise ApplicationHandlerStop


def reply_handler(settings: Settings) -> MessageHandler[ContextTypes.DEFAULT_TYPE, None]:
    """Replies in the staff group and in admins' private chats (the handler checks what they reply to)."""
    where = filters.ChatType.PRIVATE & filters.User(user_id=settings.admin_ids)
    if settings.staff_chat_id is not None:
        where = where | filters.Chat(chat_id=settings.staff_chat_id)
    return MessageHandler(filters.REPLY & filters.UpdateType.MESSAGE & ~filters.COMMAND & where, on_staff_reply)
