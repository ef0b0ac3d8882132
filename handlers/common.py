"""What every handler needs: the services, the user's language, sending finished HTML messages."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.db.models import User
from bot.i18n import LANGUAGES
from bot.services import Services

SERVICES_KEY = "services"


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data[SERVICES_KEY]


def preferred_language(user: User | None, telegram_code: str | None, default: str) -> str:
    """The language to use when the message itself doesn't tell: the user's explicit /language choice,
    then Telegram's interface language, then the default. (An explicit choice beats the phone's locale.)"""
    if user is not None and user.language in LANGUAGES:
        return user.language
    code = (telegram_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else default


async def user_language(uow, update: Update, default: str) -> str:
    """The language for replying to this update's user, read inside the caller's unit of work."""
    user = update.effective_user
    db_user = await uow.users.get(user.id) if user else None
    return preferred_language(db_user, telegram_code(update), default)


def telegram_code(update: Update) -> str | None:
    return update.effective_user.language_code if update.effective_user else None


async def send_html(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    messages: list[str],
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send messages in order; the keyboard goes on the last one (where the user's eyes are)."""
    chat = update.effective_chat
    if chat is None:
        return None
    sent = None
    for number, text in enumerate(messages):
        last = number == len(messages) - 1
        sent = await context.bot.send_message(chat.id, text, reply_markup=keyboard if last else None)
    return sent
