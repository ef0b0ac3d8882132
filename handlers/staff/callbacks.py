"""Every `adm:` button: role check, strict parsing (the grammar in handlers.common), dispatch to the handler
beside its command (reports, unanswered)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from ..common import STAFF_PREFIX, parse, stale
from . import invitations, reports, unanswered
from .access import is_staff

log = logging.getLogger(__name__)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Non-staff and anything we did not produce get the stale-button answer."""
    query = update.callback_query
    if not is_staff(update, context):
        user = update.effective_user
        log.info("non-staff user %s pressed a staff button", user.id if user else None)
        await stale(update, context)
        return
    callback = parse(query.data if query else None, STAFF_PREFIX)
    if callback is None or query is None:
        await stale(update, context)
        return
    args = callback.args
    match callback.verb:
        case "adm.responses":
            await reports.on_responses_page(update, context, query, args[0], int(args[1]), int(args[2]))
        case "adm.state":
            await reports.on_survey_state(update, context, query, args[0], args[1] == "1")
        case "adm.suggest" | "adm.suggest_edit":
            await unanswered.on_suggest(update, context, query, int(args[0]), edit=callback.verb == "adm.suggest_edit")
        case "adm.category":
            await unanswered.on_category(update, context, query, int(args[0]), args[1])
        case "adm.assign":
            await unanswered.on_assign(update, context, query, int(args[0]), args[1])
        case "adm.invite_go":
            await invitations.on_confirm(update, context, query, args[0])
        case "adm.invite_no":
            await invitations.on_dont(update, context, query)
        case "adm.invite_stop":
            await invitations.on_stop(update, context, query, int(args[0]))
