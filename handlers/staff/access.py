"""The staff role check, on the server, in every staff command and button.

Staff are the user ids in ADMIN_IDS. Anyone else gets exactly what an unknown command or a stale button gets —
the same reply, nothing read about surveys or other users, nothing written — whatever the arguments or the
(possibly forged) callback data. For staff, `staff_only` writes the command's audit row and passes the admin's
reply language on. Staff commands work in private chats only (a group's members are not necessarily staff).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from ..common import services, telegram_code, unknown_command

log = logging.getLogger(__name__)

MAX_AUDITED_ARG = 64

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
StaffCommand = Callable[[Update, ContextTypes.DEFAULT_TYPE, str, list[str]], Coroutine[Any, Any, None]]


def is_staff(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and user.id in services(context).settings.admin_ids


def command_args(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    return [arg[:MAX_AUDITED_ARG] for arg in (context.args or [])]


def count_arg(value: str | None, default: int, maximum: int) -> int:
    if value is None or not (value.isascii() and value.isdigit()):
        return default
    return max(1, min(int(value), maximum))


def staff_only(action: str) -> Callable[[StaffCommand], Handler]:
    """A staff command: for anyone else, exactly the unknown-command reply (nothing else read or written). For
    staff: the audit row `action` with the command's arguments, then `handler(update, context, language, args)`."""

    def decorate(handler: StaffCommand) -> Handler:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            user = update.effective_user
            if user is None or not is_staff(update, context):
                log.info("non-staff user %s tried a staff command", user.id if user else None)
                await unknown_command(update, context)
                return
            args = command_args(context)
            language = await services(context).staff.begin(user.id, telegram_code(update), action, args=args)
            await handler(update, context, language, args)

        return wrapper

    return decorate
