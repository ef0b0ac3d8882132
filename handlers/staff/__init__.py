"""Staff commands and buttons: /stats, /responses, /surveys (reports), /export, /chart (files), /unanswered
(unanswered), their `adm:` buttons (callbacks), the role check and audit (access), and hand-offs (handoff:
replies, /handoffs, the retry job, a staff group turned supergroup). The use cases are `bot.staff.service.StaffService` and `bot.handoff.Handoffs`."""

from __future__ import annotations

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from ..common import STAFF_PREFIX
from .access import Handler
from .callbacks import on_callback
from .files import chart_command, export_command
from .handoff import handoffs_command, migration_handler, reply_handler, schedule_retries
from .invitations import invite_command
from .reports import responses_command, stats_command, surveys_command
from .unanswered import unanswered_command

COMMANDS: dict[str, Handler] = {
    "stats": stats_command,
    "responses": responses_command,
    "export": export_command,
    "chart": chart_command,
    "unanswered": unanswered_command,
    "surveys": surveys_command,
    "handoffs": handoffs_command,
    "invite": invite_command,
}

__all__ = ["COMMANDS", "handlers", "migration_handler", "reply_handler", "schedule_retries"]


def handlers(private: filters.BaseFilter) -> list[BaseHandler]:  # type: ignore[type-arg]
    """The staff commands (private chats) and the `adm:` button handler, for MAIN_GROUP before the catch-alls.
    They match for everyone; the role is checked inside, so non-staff get the unknown-command/stale answer."""
    return [
        *(CommandHandler(name, handler, filters=private) for name, handler in COMMANDS.items()),
        CallbackQueryHandler(on_callback, pattern=f"^{STAFF_PREFIX}"),
    ]
