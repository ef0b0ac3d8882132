"""/invite <survey> — count, confirm, then a status message edited as the invitations go out; /invite status,
/invite cancel and the cancel button. The use case is `bot.invitations.service.Invitations`; the sending itself is
done by the worker in handlers/invitations.py (any replica)."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.formatting import escape
from bot.i18n import Translator
from bot.invitations.service import RunView
from bot.staff.render import survey_list
from bot.surveys.schema import Survey
from bot.vocabulary import InvitationStatus, RunStatus

from ..common import (
    INVITATION_WAKE_KEY,
    SERVICES_KEY,
    button,
    chat_id,
    edit_text,
    markup,
    send_html,
    services,
    stale,
    telegram_code,
    user_id,
)
from .access import staff_only


def run_text(texts: Translator, run: RunView, surveys: dict[str, Survey]) -> str:
    survey = surveys.get(run.survey_id)
    title = escape(survey.title.get(run.language)) if survey else escape(run.survey_id)
    text = texts(
        run.language, f"staff.invite.run_{run.status}", title=title, sent=run.sent, total=run.total,
        blocked=run.counts.get(InvitationStatus.BLOCKED, 0), failed=run.counts.get(InvitationStatus.FAILED, 0),
        waiting=run.waiting,
    )
    unsure = run.counts.get(InvitationStatus.UNSURE, 0)  # the bot stopped while these were going out
    return text + texts(run.language, "staff.invite.unsure", unsure=unsure) if unsure else text


def run_keyboard(texts: Translator, run: RunView) -> InlineKeyboardMarkup | None:
    if run.status != RunStatus.RUNNING:
        return None
    return markup([[button(texts(run.language, "staff.invite.stop"), "adm.invite_stop", run.id)]])


@staff_only("invite")
async def invite_command(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, args: list[str]) -> None:
    """/invite <survey> | /invite status | /invite cancel"""
    svc = services(context)
    texts = svc.texts
    if args and args[0].lower() in ("status", "cancel"):
        runs = await svc.invitations.status()
        if args[0].lower() == "cancel":
            runs = [await svc.invitations.cancel(user_id(update), run.id) or run
                    for run in runs if run.status == RunStatus.RUNNING]
            if not runs:
                await send_html(update, context, [texts(language, "staff.invite.nothing_running")])
        elif not runs:
            await send_html(update, context, [texts(language, "staff.invite.no_runs")])
        for run in runs:
            view = replace(run, language=language)
            await send_html(update, context, [run_text(texts, view, svc.surveys)], run_keyboard(texts, view))
        return
    survey = svc.surveys.get(args[0]) if args else None
    if survey is None:
        key = "staff.unknown_survey" if args else "staff.usage.invite"
        await send_html(update, context, [texts(language, key, survey=escape(args[0]) if args else "",
                                                surveys=survey_list(svc.surveys))])
        return
    count, refusal = await svc.invitations.preview(survey)
    title = escape(survey.title.get(language))
    if refusal is not None or count == 0:
        await send_html(update, context, [texts(language, f"staff.invite.refused_{refusal or 'nobody'}", title=title)])
        return
    keyboard = markup([[button(texts(language, "staff.invite.confirm", count=count), "adm.invite_go", survey.id),
                        button(texts(language, "staff.invite.dont"), "adm.invite_no", survey.id)]])
    await send_html(update, context, [texts(language, "staff.invite.preview", title=title, count=count)], keyboard)


async def on_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, survey_id: str) -> None:
    """Queue the invitations; the confirmation message becomes the status message."""
    svc = services(context)
    survey = svc.surveys.get(survey_id)
    if survey is None or query.message is None:
        await stale(update, context)
        return
    language = await svc.accounts.language(user_id(update), telegram_code(update))
    started = await svc.invitations.start(user_id(update), survey, language, chat_id(update))
    await query.answer()
    if started.run is None:
        text = svc.texts(language, f"staff.invite.refused_{started.refusal}", title=escape(survey.title.get(language)))
        await edit_text(query, text, None)
        return
    await svc.invitations.set_status_message(started.run.id, query.message.message_id)
    await edit_text(query, run_text(svc.texts, started.run, svc.surveys), run_keyboard(svc.texts, started.run))
    wake = context.application.bot_data.get(INVITATION_WAKE_KEY)  # the worker here: start now
    if wake is not None:
        wake.set()


async def on_dont(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery) -> None:
    svc = services(context)
    language = await svc.accounts.language(user_id(update), telegram_code(update))
    await query.answer()
    await edit_text(query, svc.texts(language, "staff.invite.not_sent"), None)


async def on_stop(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, run_id: int) -> None:
    svc = services(context)
    run = await svc.invitations.cancel(user_id(update), run_id)
    if run is None:
        await stale(update, context)
        return
    await query.answer()
    await edit_text(query, run_text(svc.texts, run, svc.surveys), run_keyboard(svc.texts, run))


async def show_progress(bot: Bot, bot_data: dict[Any, Any], run: RunView) -> None:
    """The worker's report: edit the run's status message (progress is best effort)."""
    svc = bot_data[SERVICES_KEY]
    if run.chat_id is None or run.message_id is None:
        return
    with contextlib.suppress(BadRequest):  # "message is not modified", message too old
        await bot.edit_message_text(run_text(svc.texts, run, svc.surveys), chat_id=run.chat_id,
                                    message_id=run.message_id, reply_markup=run_keyboard(svc.texts, run))
