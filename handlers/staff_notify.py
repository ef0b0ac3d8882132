"""Handoff to a person, both ways.

Out: when an applicant's question is handed off (handlers/qa.py), it is posted to STAFF_CHAT_ID — or, when
that is unset, to each admin's private chat — saying who asked (first name, @username, user id, language)
and what. Where each copy landed (chat id, message id) is stored in `handoff_deliveries`.

Back: a staff member *replies* (Telegram's reply-to) to such a message; the reply's text is sent to the
applicant's chat in the bot's name, with a short prefix in the applicant's language, the handoff is marked
answered, the action is audited, and the staff member gets a confirmation. Follow-up replies are delivered
too. In the staff group any member may answer: membership of that group *is* the staff role there (it is
set up by the programme, and a reply reaches only the one applicant who asked). In a private chat only an
admin's reply counts. A private reply that is not to a handoff message is left for the normal handlers.
"""

from __future__ import annotations

import logging

from telegram import Message, Update, User
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot.config import Settings
from bot.db.models import HandoffRequest
from bot.formatting import escape, plain_block

from .common import preferred_language, services

log = logging.getLogger(__name__)

MAX_QUESTION_SHOWN = 3000  # characters of the applicant's question in the staff message (all of it is stored)
HANDOFF_MARK = "🙋"  # first character of every staff.handoff.new text
PREFIX_EXCERPT = 80  # characters of the question quoted back to the applicant above the staff reply


def _excerpt(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _looks_like_handoff(message: Message, bot_id: int) -> bool:
    """A bot message with the handoff header (staff.handoff.new starts with HANDOFF_MARK in every language)."""
    return bool(message.from_user and message.from_user.id == bot_id and (message.text or "").startswith(HANDOFF_MARK))


def _who(user: User | None, unknown: str) -> str:
    if user is None:
        return unknown
    who = escape(user.first_name or "")
    if user.last_name:
        who += " " + escape(user.last_name)
    if user.username:
        who += f" @{escape(user.username)}"
    return who.strip() or unknown


async def handoff_created(context: ContextTypes.DEFAULT_TYPE, request_id: int, user: User | None) -> None:
    """Post handoff `request_id` to the staff chat (or each admin). Never raises: the applicant was already
    told the question is recorded, and it stays in the database whatever happens here."""
    try:
        await _notify(context, request_id, user)
    except Exception:
        log.exception("could not notify staff of handoff %s", request_id)


async def _notify(context: ContextTypes.DEFAULT_TYPE, request_id: int, user: User | None) -> None:
    svc = services(context)
    settings = svc.settings
    targets = [settings.staff_chat_id] if settings.staff_chat_id is not None else sorted(settings.admin_ids)
    if not targets:
        log.warning("handoff %s: neither STAFF_CHAT_ID nor ADMIN_IDS is set; nobody is told", request_id)
        return
    async with svc.uow() as uow:
        request = await uow.session.get(HandoffRequest, request_id)
        if request is None:
            return
        delivered = 0
        for chat_id in targets:
            if chat_id == settings.staff_chat_id:
                language = settings.default_language
            else:
                language = preferred_language(await uow.users.get(chat_id), None, settings.default_language)
            question = escape(_excerpt(request.text, MAX_QUESTION_SHOWN)) if len(request.text) > MAX_QUESTION_SHOWN else escape(request.text)
            text = svc.texts(
                language,
                "staff.handoff.new",
                id=request.id,
                who=_who(user, svc.texts(language, "staff.handoff.unknown_user")),
                user_id=request.user_id if request.user_id is not None else "—",
                lang=escape(request.language),
                question=question,
            )
            try:
                message = await context.bot.send_message(chat_id, text)
            except TelegramError as exc:  # e.g. an admin who never opened the bot, or the bot left the group
                log.warning("handoff %s: could not post to staff chat %s: %s", request_id, chat_id, exc)
                continue
            uow.handoff_deliveries.add(request.id, chat_id, message.message_id)
            delivered += 1
        await uow.commit()
    if not delivered:
        log.error("handoff %s reached no staff chat; it stays open in the database", request_id)


async def on_staff_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply in the staff group / an admin's chat. If it answers a handoff message, deliver it and stop."""
    svc = services(context)
    settings = svc.settings
    message = update.effective_message
    chat = update.effective_chat
    staff_member = update.effective_user
    if message is None or chat is None or staff_member is None or message.reply_to_message is None:
        return
    in_staff_group = settings.staff_chat_id is not None and chat.id == settings.staff_chat_id
    in_admin_chat = chat.type == "private" and staff_member.id in settings.admin_ids
    if not (in_staff_group or in_admin_chat) or staff_member.is_bot:
        return
    async with svc.uow() as uow:
        found = await uow.handoff_deliveries.find(chat.id, message.reply_to_message.message_id)
        staff_language = (
            settings.default_language
            if in_staff_group
            else preferred_language(await uow.users.get(staff_member.id), staff_member.language_code, settings.default_language)
        )
        if found is None:
            if _looks_like_handoff(message.reply_to_message, context.bot.id):  # e.g. the applicant used /forget
                await message.reply_text(svc.texts(staff_language, "staff.handoff.gone"))
                raise ApplicationHandlerStop
            return  # not a reply to a handoff message: in a private chat, Q&A and the rest handle it
        _delivery, request = found
        if not message.text:
            await message.reply_text(svc.texts(staff_language, "staff.handoff.text_only"))
            raise ApplicationHandlerStop
        prefix = svc.texts(request.language, "staff.handoff.reply_prefix", question=escape(_excerpt(request.text, PREFIX_EXCERPT)))
        pieces = plain_block(message.text, 4096 - len(prefix) - 2)
        try:
            await context.bot.send_message(request.chat_id, f"{prefix}\n\n{pieces[0]}")
            for piece in pieces[1:]:
                await context.bot.send_message(request.chat_id, piece)
        except TelegramError as exc:  # e.g. Forbidden: the applicant blocked the bot
            log.warning("handoff %s: reply not delivered: %s", request.id, exc)
            uow.audit.record(staff_member.id, "handoff_reply", handoff_id=request.id, chat=chat.id, delivered=False)
            await uow.commit()
            await message.reply_text(svc.texts(staff_language, "staff.handoff.failed", id=request.id))
            raise ApplicationHandlerStop from None
        request.status = "answered"
        uow.audit.record(staff_member.id, "handoff_reply", handoff_id=request.id, chat=chat.id, delivered=True)
        await uow.commit()
    log.info("handoff %s answered by staff %s", request.id, staff_member.id)
    await message.reply_text(svc.texts(staff_language, "staff.handoff.delivered", id=request.id))
    raise ApplicationHandlerStop


def reply_handler(settings: Settings) -> MessageHandler:
    """Replies in the staff group and in admins' private chats (the handler checks what they reply to)."""
    where = filters.ChatType.PRIVATE & filters.User(user_id=settings.admin_ids)
    if settings.staff_chat_id is not None:
        where = where | filters.Chat(chat_id=settings.staff_chat_id)
    return MessageHandler(filters.REPLY & filters.UpdateType.MESSAGE & ~filters.COMMAND & where, on_staff_reply)
