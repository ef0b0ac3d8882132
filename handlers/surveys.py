"""Feedback surveys in chat: /feedback, `t.me/<bot>?start=survey_<id>`, consent, one question per message,
/cancel and reminders. The use cases are `bot.surveys.service.SurveyService` and `bot.surveys.reminders`; this
module turns updates into their calls and their results into messages.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot.formatting import escape
from bot.i18n import Translator
from bot.services import Services
from bot.surveys.engine import Progress
from bot.surveys.reminders import Delivery
from bot.surveys.service import Offer, Operation, StepOutcome

from . import survey_views as views
from .common import SURVEY_PREFIX, chat_id, parse, quietly, services, stale, telegram_code, user_id

log = logging.getLogger(__name__)

DEEP_LINK = re.compile(r"survey_([a-z][a-z0-9_]{0,39})")
# Reasons a button press is refused with a short alert (the question stays as it is).
_ALERTS = {"choose_one", "not_optional", "first_question", "no_answer"}


async def _say(context: ContextTypes.DEFAULT_TYPE, chat: int, text: str,
               keyboard: InlineKeyboardMarkup | None = None) -> None:
    await context.bot.send_message(chat, text, reply_markup=keyboard)


async def send_question(context: ContextTypes.DEFAULT_TYPE, chat: int, progress: Progress,
                        note: str | None = None) -> None:
    texts = services(context).texts
    await _say(context, chat, views.question_text(progress, texts, note), views.question_keyboard(progress, texts))


async def send_progress(context: ContextTypes.DEFAULT_TYPE, chat: int, progress: Progress,
                        note: str | None = None) -> None:
    """Whatever comes next: the pending question, the summary of a finished survey, or a cancelled notice."""
    texts = services(context).texts
    if progress.question is not None:
        await send_question(context, chat, progress, note)
    elif progress.completed:
        for text in views.summary_messages(progress, texts):
            await _say(context, chat, text)
    else:
        await _say(context, chat, texts(progress.language, "survey.stale_cancelled"))


def _unfinished_note(texts: Translator, progress: Progress) -> str:
    return texts(progress.language, "survey.unfinished", title=escape(progress.survey.title.get(progress.language)))


def _refusal(texts: Translator, offer: Offer) -> str:
    """Why a survey can't be started: unknown, closed, or already answered."""
    if offer.survey is None:
        return texts(offer.language, "survey.unknown")
    key = "survey.closed" if offer.check == "closed" else "survey.already_done"
    return texts(offer.language, key, title=escape(offer.survey.title.get(offer.language)))


# --- starting --------------------------------------------------------------------------------------------------


async def feedback_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/feedback: continue an unfinished survey, else offer the open one(s)."""
    svc = services(context)
    found = await svc.survey_service.feedback(user_id(update), telegram_code(update))
    if found.progress is not None:
        await send_question(context, chat_id(update), found.progress, _unfinished_note(svc.texts, found.progress))
    elif not found.surveys:
        await _say(context, chat_id(update), svc.texts(found.language, "survey.none_open"))
    elif len(found.surveys) == 1:
        await offer(update, context, found.surveys[0].id)
    else:
        await _say(context, chat_id(update), svc.texts(found.language, "survey.choose"),
                   views.survey_list(found.surveys, found.language))


async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE, survey_id: str) -> None:
    """The consent message of a survey — or why it can't be started (closed, already answered, unknown)."""
    svc = services(context)
    result = await svc.survey_service.offer(user_id(update), survey_id, telegram_code(update))
    if result.check == "ok" and result.survey is not None:
        consent = views.consent_text(result.survey, result.language, svc.texts, svc.settings.survey_reminder_hours)
        await _say(context, chat_id(update), consent, views.consent_keyboard(result.survey, result.language, svc.texts))
    elif result.progress is not None:
        await send_question(context, chat_id(update), result.progress, _unfinished_note(svc.texts, result.progress))
    else:
        await _say(context, chat_id(update), _refusal(svc.texts, result))


async def start_from_deep_link(update: Update, context: ContextTypes.DEFAULT_TYPE, payload: str | None) -> bool:
    """Called by /start: `survey_<id>` offers that survey. True when the payload was a survey link."""
    match = DEEP_LINK.fullmatch(payload or "")
    if match is None:
        return False
    await offer(update, context, match.group(1))
    return True


async def on_consent(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, survey_id: str,
                     choice: str) -> None:
    svc = services(context)
    if choice == "x":
        language = await svc.accounts.language(user_id(update), telegram_code(update))
        await query.answer()
        await quietly(query.edit_message_text(svc.texts(language, "survey.declined")))
        return
    started = await svc.survey_service.start(user_id(update), chat_id(update), survey_id, choice == "n",
                                             telegram_code(update))
    await query.answer()
    if started.progress is None:
        await quietly(query.edit_message_text(_refusal(svc.texts, started)))
        return
    await quietly(query.edit_message_reply_markup(None))
    if started.check == "ok":
        note = svc.texts(started.language, "survey.consent_anonymous" if choice == "n" else "survey.consent_agreed")
    else:  # a second tap on "Agree", or another survey still unfinished
        note = _unfinished_note(svc.texts, started.progress)
    await send_question(context, chat_id(update), started.progress, note)


# --- answering -------------------------------------------------------------------------------------------------


def _stale_notice(texts: Translator, progress: Progress) -> str:
    if progress.question is not None:
        return texts(progress.language, "survey.stale")
    return texts(progress.language, "survey.stale_finished" if progress.completed else "survey.stale_cancelled")


async def _on_step(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, response_id: str,
                   question_id: str | None, operation: Operation, after: str) -> None:
    """A survey button: apply it, then show what comes next. `after`: answered | toggle | back | cancel."""
    svc = services(context)
    chat = chat_id(update)
    result = await svc.survey_service.apply_step(user_id(update), int(response_id), operation)
    if result is None or result.outcome == StepOutcome.FOREIGN or result.progress is None:
        await stale(update, context)
        return
    progress = result.progress
    texts = svc.texts
    if result.outcome == StepOutcome.OK:
        await query.answer()
        if after == "toggle":
            await quietly(query.edit_message_reply_markup(views.question_keyboard(progress, texts)))
            return
        if after == "answered" and question_id is not None:
            question = progress.survey.question(question_id)
            assert question is not None
            await quietly(query.edit_message_text(
                views.answered_text(progress, question, progress.answers.get(question_id), texts)))
        else:
            await quietly(query.edit_message_reply_markup(None))
        if after == "cancel":
            await _say(context, chat, texts(progress.language, "survey.cancelled"))
            return
        await send_progress(context, chat, progress)
    elif result.outcome == StepOutcome.INVALID and result.reason in _ALERTS:
        await query.answer(texts(progress.language, f"survey.{result.reason}"), show_alert=True)
    elif result.outcome == StepOutcome.CONFLICT:
        await query.answer(texts(progress.language, "survey.conflict"))
        await send_progress(context, chat, progress)
    else:  # stale: a button of an earlier question (or a survey that has ended); invalid: a value we never offered
        await query.answer(_stale_notice(texts, progress))
        if progress.question is not None:
            await send_question(context, chat, progress)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every `sv:` button. Anything that doesn't parse strictly is a stale/forged button."""
    svc = services(context)
    query = update.callback_query
    callback = parse(query.data if query else None, SURVEY_PREFIX)
    if callback is None or query is None:
        await stale(update, context)
        return
    engine = svc.survey_engine
    args = callback.args
    match callback.verb:
        case "sv.offer":
            await query.answer()
            await offer(update, context, args[0])
        case "sv.consent":
            await on_consent(update, context, query, args[0], args[1])
        case "sv.answer":
            rid, qid, raw = args
            await _on_step(update, context, query, rid, qid, lambda uow, r: engine.answer_button(uow, r, qid, raw),
                           "answered")
        case "sv.toggle":
            rid, qid, choice = args
            await _on_step(update, context, query, rid, qid, lambda uow, r: engine.toggle(uow, r, qid, choice), "toggle")
        case "sv.done":
            rid, qid = args
            await _on_step(update, context, query, rid, qid, lambda uow, r: engine.finish_multi(uow, r, qid), "answered")
        case "sv.skip":
            rid, qid = args
            await _on_step(update, context, query, rid, qid, lambda uow, r: engine.skip(uow, r, qid), "answered")
        case "sv.keep":
            rid, qid = args
            await _on_step(update, context, query, rid, qid, lambda uow, r: engine.keep(uow, r, qid), "answered")
        case "sv.back":
            rid, qid = args
            await _on_step(update, context, query, rid, qid, lambda uow, r: engine.back(uow, r, qid), "back")
        case "sv.cancel":
            await _on_step(update, context, query, args[0], None, lambda uow, r: engine.cancel(uow, r), "cancel")
        case "sv.resume":
            await _on_resume(update, context, query, int(args[0]))
        case _:  # privacy.forget: handlers/privacy.py is registered before this handler
            await stale(update, context)


async def _on_resume(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, response_id: int) -> None:
    """"Continue" under a reminder: show the pending question."""
    svc = services(context)
    progress = await svc.survey_service.resume(user_id(update), response_id)
    if progress is None:
        await stale(update, context)
        return
    await quietly(query.edit_message_reply_markup(None))
    if progress.question is None:
        await query.answer(_stale_notice(svc.texts, progress))
        return
    await query.answer()
    await send_question(context, chat_id(update), progress)


async def intercept(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any non-command message while a survey question is pending is about the survey, not for Q&A.

    A text answers a free-text question (or, typed, a scale); anything else gets a short re-prompt with the
    question again — nothing is lost. Then the update stops here (ApplicationHandlerStop), so the NLU never
    sees survey answers. Without an unfinished survey the message goes on to Q&A untouched.
    """
    svc = services(context)
    message = update.effective_message
    if not svc.survey_engine.surveys or message is None or update.effective_user is None:
        return
    result = await svc.survey_service.answer_message(user_id(update), message.text)
    if result is None:
        return  # not in a survey
    progress = result.progress
    if progress is not None:
        if result.outcome == StepOutcome.OK:
            await send_progress(context, message.chat_id, progress)
        else:
            reason = result.reason if result.outcome == StepOutcome.INVALID else "conflict"
            note = svc.texts(progress.language, f"survey.{reason}", **(result.details or {}))
            await send_progress(context, message.chat_id, progress, note)
    raise ApplicationHandlerStop


async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel anywhere: stops an unfinished survey (deleting its answers) and any "waiting for your text"."""
    svc = services(context)
    cancelled = await svc.survey_service.cancel(user_id(update), telegram_code(update))
    if cancelled.survey:
        key = "survey.cancelled"
    elif cancelled.awaiting:
        key = "survey.action_cancelled"
    else:
        key = "survey.nothing_to_cancel"
    await _say(context, chat_id(update), svc.texts(cancelled.language, key))


# --- reminders ---------------------------------------------------------------------------------------------------


async def deliver_reminders(bot: Bot, svc: Services, now: datetime | None = None) -> int:
    """Send every due reminder once (bot.surveys.reminders); returns how many were sent."""

    async def send(chat: int, progress: Progress) -> Delivery:
        language = progress.language
        text = svc.texts(language, "survey.reminder", title=escape(progress.survey.title.get(language)),
                         number=progress.number, total=progress.total)
        try:
            await bot.send_message(chat, text, reply_markup=views.continue_keyboard(progress.response_id, language,
                                                                                    svc.texts))
        except (Forbidden, BadRequest) as exc:  # blocked the bot, chat gone: this reminder can never be sent
            log.info("survey reminder for response %s not deliverable: %s", progress.response_id, exc)
            return Delivery.UNDELIVERABLE
        except TelegramError as exc:  # network trouble: release the claim, the next run tries again
            log.warning("survey reminder for response %s failed, will retry: %s", progress.response_id, exc)
            return Delivery.RETRY
        return Delivery.SENT

    return await svc.reminders.deliver(send, now)


async def reminder_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    sent = await deliver_reminders(context.bot, services(context))
    if sent:
        log.info("sent %d survey reminder(s)", sent)


def schedule_reminders(application: Application[Any, Any, Any, Any, Any, Any], interval_seconds: float) -> None:
    """A repeating job that polls the database for due reminders: the schedule lives in the database, so
    restarting the bot re-arms every reminder. Sent through the application's bot (AIORateLimiter)."""
    if application.job_queue is None:
        log.warning("no job queue (install python-telegram-bot[job-queue]): survey reminders are not sent")
        return
    application.job_queue.run_repeating(reminder_job, interval=interval_seconds, first=min(10.0, interval_seconds),
                                        name="survey-reminders")
