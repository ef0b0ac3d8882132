"""What every handler needs: the services, the reply language, sending finished HTML messages, the one callback
grammar (every button's data, declared once) and the answer to a button we cannot act on (`stale`).

Callback data is short ASCII `<prefix>:<args>` (Telegram allows at most 64 bytes) and is never trusted: `parse()`
accepts only the declared shapes, matched in full; handlers then check that the rows it names exist and belong to
whoever pressed. `build()` is the only way handlers produce callback data, and it refuses data that its own
`parse()` would not accept or that is longer than 64 bytes of UTF-8.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, ChatMigrated, TelegramError
from telegram.ext import ContextTypes

from bot.accounts import preferred_language
from bot.handoff import PostToStaff
from bot.services import Services

log = logging.getLogger(__name__)

SERVICES_KEY = "services"
INVITATION_WAKE_KEY = "invitations.wake"  # bot_data: the invitation worker's asyncio.Event (handlers/invitations.py)
MAX_CALLBACK_BYTES = 64


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services: Services = context.application.bot_data[SERVICES_KEY]
    return services


def telegram_code(update: Update) -> str | None:
    return update.effective_user.language_code if update.effective_user else None


def user_id(update: Update) -> int:
    """The id of the user behind an update (every update these handlers are registered for has one)."""
    assert update.effective_user is not None
    return update.effective_user.id


def chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


async def reply_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language for replying to this update's user: their /language choice, else Telegram's, else the default."""
    user = update.effective_user
    return await services(context).accounts.language(user.id if user else None, telegram_code(update))


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


def staff_poster(bot: Bot) -> PostToStaff:
    """The `post` callback of `bot.handoff.Handoffs`: a hand-off to a staff chat. Telegram's "group upgraded to a
    supergroup" (ChatMigrated) is followed — the post is sent to the new chat, which the use case then stores; any
    other failure (admin never opened the bot, bot removed, network) is logged and becomes None (retried later)."""

    async def post(chat: int, text: str) -> tuple[int, int] | None:
        try:
            try:
                return chat, (await bot.send_message(chat, text)).message_id
            except ChatMigrated as moved:
                new_chat = int(moved.new_chat_id)
                log.warning("staff chat %s became supergroup %s: posting there", chat, new_chat)
                return new_chat, (await bot.send_message(new_chat, text)).message_id
        except TelegramError as exc:
            log.warning("could not post a hand-off to staff chat %s: %s", chat, exc)
            return None

    return post


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button we can't act on (forged, from another user, or referring to something gone)."""
    svc = services(context)
    query = update.callback_query
    if query is not None:
        language = preferred_language(None, telegram_code(update), svc.settings.default_language)
        await query.answer(svc.texts(language, "errors.stale_button"), show_alert=False)


async def quietly(action: Awaitable[Any]) -> bool:
    """Run an edit of an earlier message (text or buttons). Edits are cosmetic: a second tap on the same button
    ("message is not modified"), a message too old to edit or already deleted must not fail the update — that
    would send the user to the error handler, which would answer their button a second time. False when the
    edit did not happen (logged)."""
    try:
        await action
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return False
        log.warning("could not edit a message: %s", exc)
        return False
    return True


async def edit_text(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None = None) -> bool:
    """Replace a button's message (quietly: pressing a button whose result is already shown is not an error)."""
    return await quietly(query.edit_message_text(text, reply_markup=keyboard))


async def edit_markup(query: CallbackQuery, keyboard: InlineKeyboardMarkup | None) -> bool:
    """Replace (or, with None, remove) a button message's keyboard, quietly (see `quietly`)."""
    return await quietly(query.edit_message_reply_markup(keyboard))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An unknown command — also what a non-staff user gets for a staff command (handlers/staff/access.py)."""
    svc = services(context)
    await send_html(update, context, [svc.texts(await reply_language(update, context), "errors.unknown_command")])


# --- the callback grammar ---------------------------------------------------------------------------------------

# The argument kinds a shape may use, as `{kind}`.
_KINDS = {
    "id": r"\d{1,12}",  # a database row id
    "key": r"[a-z][a-z0-9_]{0,39}",  # a survey id, knowledge-base entry id or category key
    "question": r"[a-z][a-z0-9_]{0,23}",  # a survey question id
    "choice": r"[a-z0-9][a-z0-9_]{0,15}",  # a survey choice id
    "value": r"-?\d{1,3}|[a-z0-9][a-z0-9_]{0,15}",  # a scale point, a choice id, or y/n
    "lang": r"lv|en|ru",
    "menu": r"topics|help|lang",
    "verdict": r"u|d",  # 👍 / 👎
    "consent": r"a|n|x",  # agree / anonymous / no thanks
    "yn": r"y|n",
    "count": r"\d{1,3}",
    "page": r"\d{1,2}",
    "bit": r"0|1",
}

# Every button the bot makes: verb → shape. Verbs are "<feature>.<action>"; a feature's handler dispatches on them.
SHAPES = {
    # Q&A and browsing (handlers/__init__.py on_callback)
    "qa.lang": "lang:{lang}",
    "qa.menu": "menu:{menu}",
    "qa.topics": "top",
    "qa.category": "top:c:{key}",
    "qa.entry": "top:e:{key}",
    "qa.pick": "pick:{id}:{key}",
    "qa.none": "none:{id}",
    "qa.rate": "rate:{id}:{verdict}",
    "qa.handoff": "ho:{id}",
    # surveys (handlers/surveys.py): response and question ids make a button refer to exactly one question
    "sv.offer": "sv:s:{key}",
    "sv.consent": "sv:c:{key}:{consent}",
    "sv.answer": "sv:a:{id}:{question}:{value}",
    "sv.toggle": "sv:t:{id}:{question}:{choice}",
    "sv.done": "sv:d:{id}:{question}",
    "sv.skip": "sv:k:{id}:{question}",
    "sv.keep": "sv:n:{id}:{question}",
    "sv.back": "sv:b:{id}:{question}",
    "sv.cancel": "sv:x:{id}",
    "sv.resume": "sv:r:{id}",
    # privacy (handlers/privacy.py)
    "privacy.forget": "sv:f:{yn}",
    # staff (handlers/staff/): every one checks the staff role first
    "adm.responses": "adm:r:{key}:{count}:{page}",
    "adm.state": "adm:s:{key}:{bit}",
    "adm.suggest": "adm:u:{id}",
    "adm.suggest_edit": "adm:u:{id}:e",
    "adm.category": "adm:uc:{id}:{key}",
    "adm.assign": "adm:a:{id}:{key}",
    "adm.invite_go": "adm:ig:{key}",  # send the invitations (after the count)
    "adm.invite_no": "adm:in:{key}",  # don't
    "adm.invite_stop": "adm:is:{id}",  # cancel a running invitation run
    # survey invitations, recipient side (handlers/invitations.py)
    "inv.off": "inv:off",  # no more invitations
    "inv.on": "inv:on",  # invitations again
}
SURVEY_PREFIX = "sv:"  # survey and privacy buttons (handlers/surveys.py, handlers/privacy.py)
STAFF_PREFIX = "adm:"  # staff buttons (handlers/staff/)
INVITE_PREFIX = "inv:"  # the buttons under an invitation (handlers/invitations.py)


def _compile(shape: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", shape)
    pattern = "".join(re.escape(part) if index % 2 == 0 else f"({_KINDS[part]})" for index, part in enumerate(parts))
    return re.compile(pattern)


_PATTERNS = {verb: _compile(shape) for verb, shape in SHAPES.items()}
_ARGUMENT_KINDS = {verb: re.findall(r"\{(\w+)\}", shape) for verb, shape in SHAPES.items()}
MAX_ROW_ID = 2**31 - 1  # row ids are 32-bit integers (PostgreSQL refuses a larger number for such a column)


@dataclass(frozen=True)
class Callback:
    verb: str
    args: tuple[str, ...]


def parse(data: str | None, prefix: str = "") -> Callback | None:
    """The verb and arguments of callback data we produced (optionally only verbs whose data starts with
    `prefix`), or None for anything else — matched in full: not even a trailing newline is accepted."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES or not data.startswith(prefix):
        return None
    for verb, pattern in _PATTERNS.items():
        match = pattern.fullmatch(data)
        if match:
            ids = (value for value, kind in zip(match.groups(), _ARGUMENT_KINDS[verb], strict=True) if kind == "id")
            return Callback(verb, match.groups()) if all(int(value) <= MAX_ROW_ID for value in ids) else None
    return None


def build(verb: str, *args: object) -> str:
    """Callback data for `verb`; ValueError if it would not parse back or is over 64 bytes of UTF-8."""
    values = iter(str(arg) for arg in args)
    data = re.sub(r"\{\w+\}", lambda _match: next(values, "{}"), SHAPES[verb])
    if next(values, None) is not None or len(data.encode()) > MAX_CALLBACK_BYTES or parse(data) != Callback(
        verb, tuple(str(arg) for arg in args)
    ):
        raise ValueError(f"invalid callback data for {verb}: {data!r}")
    return data


def button(text: str, verb: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=build(verb, *args))


def markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """A keyboard without empty rows."""
    return InlineKeyboardMarkup([row for row in rows if row])
