"""Feedback surveys in chat: /feedback, `t.me/<bot>?start=survey_<id>`, consent, one question per message,
reminders; and the personal-data commands /mydata, /forget, /cancel.

No survey state is kept in memory or in PTB's ConversationHandler: every step loads the response from the
database, applies one change through `bot.surveys.engine` and commits, in one unit of work. So a restarted
bot — or a second bot process on the same database — picks up exactly where the participant stopped. A
concurrent, conflicting step (two processes, a double tap) fails the response's version check; the user then
sees the pending question again, and nothing is overwritten.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot.db.models import SurveyResponse
from bot.formatting import escape, pack, plain_block
from bot.privacy import collect_user_data, forget_user
from bot.services import Services
from bot.surveys.engine import Answer, InvalidAnswer, NotPending, Progress, SurveyEngine, decode

from . import survey_views as views
from .common import services, user_language
from .qa import stale

log = logging.getLogger(__name__)

DEEP_LINK = re.compile(r"^survey_([a-z][a-z0-9_]{0,39})$")
# Reasons a button press is refused with a short alert (the question stays as it is).
_ALERTS = {"choose_one", "not_optional", "first_question", "no_answer"}


def _engine(svc: Services) -> SurveyEngine:
    assert svc.survey_engine is not None, "build_services() sets up the survey engine"
    return svc.survey_engine


async def _quietly(action: Awaitable[Any]) -> None:
    """Edits of earlier messages are cosmetic: a message too old or unchanged must not fail the update."""
    try:
        await action
    except BadRequest as exc:
        log.debug("could not edit a survey message: %s", exc)


async def _say(context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str,
               keyboard: InlineKeyboardMarkup | None = None) -> None:
    await context.bot.send_message(chat_id, text, reply_markup=keyboard)


async def send_question(context: ContextTypes.DEFAULT_TYPE, chat_id: int, progress: Progress,
                        note: str | None = None) -> None:
    svc = services(context)
    await _say(context, chat_id, views.question_text(progress, svc.texts, note),
               views.question_keyboard(progress, svc.texts))


async def send_progress(context: ContextTypes.DEFAULT_TYPE, chat_id: int, progress: Progress,
                        note: str | None = None) -> None:
    """Whatever comes next: the pending question, the summary of a finished survey, or a cancelled notice."""
    svc = services(context)
    if progress.question is not None:
        await send_question(context, chat_id, progress, note)
    elif progress.completed:
        for text in views.summary_messages(progress, svc.texts):
            await _say(context, chat_id, text)
    else:
        await _say(context, chat_id, svc.texts(progress.language, "survey.stale_cancelled"))


# --- starting --------------------------------------------------------------------------------------------------


async def feedback_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/feedback: continue an unfinished survey, else offer the open one(s)."""
    svc = services(context)
    engine = _engine(svc)
    user, chat = update.effective_user, update.effective_chat
    progress, surveys = None, []
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        response = await engine.in_progress(uow, user.id)
        if response is not None:
            progress = await engine.progress(uow, response)
        else:
            surveys = await engine.open_surveys(uow)
    if progress is not None:
        title = escape(progress.survey.title.get(progress.language))
        await send_question(context, chat.id, progress, svc.texts(progress.language, "survey.unfinished", title=title))
    elif not surveys:
        await _say(context, chat.id, svc.texts(language, "survey.none_open"))
    elif len(surveys) == 1:
        await offer(update, context, surveys[0].id)
    else:
        await _say(context, chat.id, svc.texts(language, "survey.choose"), views.survey_list(surveys, language))


async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE, survey_id: str) -> None:
    """The consent message of a survey — or why it can't be started (closed, already answered, unknown)."""
    svc = services(context)
    engine = _engine(svc)
    user, chat = update.effective_user, update.effective_chat
    progress = None
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        check = await engine.check_start(uow, survey_id, user.id)
        if check == "in_progress":
            progress = await engine.progress(uow, await engine.in_progress(uow, user.id))
    survey = engine.surveys.get(survey_id)
    if check == "ok" and survey is not None:
        consent = views.consent_text(survey, language, svc.texts, svc.settings.survey_reminder_hours)
        await _say(context, chat.id, consent, views.consent_keyboard(survey, language, svc.texts))
    elif progress is not None:
        title = escape(progress.survey.title.get(progress.language))
        await send_question(context, chat.id, progress, svc.texts(progress.language, "survey.unfinished", title=title))
    elif survey is None:
        await _say(context, chat.id, svc.texts(language, "survey.unknown"))
    else:
        key = "survey.closed" if check == "closed" else "survey.already_done"
        await _say(context, chat.id, svc.texts(language, key, title=escape(survey.title.get(language))))


async def start_from_deep_link(update: Update, context: ContextTypes.DEFAULT_TYPE, payload: str | None) -> bool:
    """Called by /start: `survey_<id>` offers that survey. True when the payload was a survey link."""
    match = DEEP_LINK.match(payload or "")
    if match is None:
        return False
    await offer(update, context, match.group(1))
    return True


async def on_offer(update: Update, context: ContextTypes.DEFAULT_TYPE, survey_id: str) -> None:
    await update.callback_query.answer()
    await offer(update, context, survey_id)


async def on_consent(update: Update, context: ContextTypes.DEFAULT_TYPE, survey_id: str, choice: str) -> None:
    svc = services(context)
    engine = _engine(svc)
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if choice == "x":
        async with svc.uow() as uow:
            language = await user_language(uow, update, svc.settings.default_language)
        await query.answer()
        await _quietly(query.edit_message_text(svc.texts(language, "survey.declined")))
        return
    progress = None
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        check = await engine.check_start(uow, survey_id, user.id)
        if check == "ok":
            try:
                progress = await engine.start(uow, survey_id, user.id, chat.id, language, anonymous=choice == "n")
                await uow.commit()
            except IntegrityError:  # another process started this response a moment ago: use that one
                await uow.session.rollback()
                check, progress = "in_progress", None
        if check == "in_progress":
            progress = await engine.progress(uow, await engine.in_progress(uow, user.id))
    survey = engine.surveys.get(survey_id)
    if check == "ok" and progress is not None:
        await query.answer()
        await _quietly(query.edit_message_reply_markup(None))
        note = svc.texts(language, "survey.consent_anonymous" if choice == "n" else "survey.consent_agreed")
        await send_question(context, chat.id, progress, note)
    elif progress is not None:  # a second tap on "Agree", or another survey still unfinished
        await query.answer()
        await _quietly(query.edit_message_reply_markup(None))
        title = escape(progress.survey.title.get(progress.language))
        await send_question(context, chat.id, progress, svc.texts(progress.language, "survey.unfinished", title=title))
    else:
        await query.answer()
        if survey is None:
            text = svc.texts(language, "survey.unknown")
        else:
            key = "survey.closed" if check == "closed" else "survey.already_done"
            text = svc.texts(language, key, title=escape(survey.title.get(language)))
        await _quietly(query.edit_message_text(text))


# --- answering -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    outcome: str  # ok | stale | invalid | conflict | foreign
    progress: Progress | None
    reason: str | None = None
    details: dict[str, Any] | None = None


Operation = Callable[[Any, SurveyResponse], Awaitable[Progress]]


async def apply_step(svc: Services, user_id: int, response_id: int | None, operation: Operation) -> StepResult | None:
    """Load the response (by id, or the user's unfinished one), apply `operation`, commit — one unit of work.

    A concurrent change (the response's version moved on, or the same answer inserted twice) rolls back and
    reports "conflict" with the response as it now is. None: the user has no unfinished survey.
    """
    engine = _engine(svc)

    async def load(uow: Any) -> SurveyResponse | None:
        if response_id is None:
            return await engine.in_progress(uow, user_id)
        return await engine.owned(uow, response_id, user_id)

    try:
        async with svc.uow() as uow:
            response = await load(uow)
            if response is None:
                return None if response_id is None else StepResult("foreign", None)
            try:
                progress = await operation(uow, response)
            except NotPending:
                return StepResult("stale", await engine.progress(uow, response))
            except InvalidAnswer as exc:
                return StepResult("invalid", await engine.progress(uow, response), exc.reason, exc.details)
            await uow.commit()
            return StepResult("ok", progress)
    except (StaleDataError, IntegrityError) as exc:
        log.info("concurrent survey update for response %s: %s", response_id, type(exc).__name__)
    async with svc.uow() as uow:
        response = await load(uow)
        return StepResult("conflict", await engine.progress(uow, response) if response is not None else None)


def _stale_notice(svc: Services, progress: Progress) -> str:
    if progress.question is not None:
        return svc.texts(progress.language, "survey.stale")
    return svc.texts(progress.language, "survey.stale_finished" if progress.completed else "survey.stale_cancelled")


async def _on_step(update: Update, context: ContextTypes.DEFAULT_TYPE, response_id: str, question_id: str | None,
                   operation: Operation, after: str) -> None:
    """A survey button: apply it, then show what comes next. `after`: answered | toggle | back | cancel."""
    svc = services(context)
    query = update.callback_query
    chat_id = update.effective_chat.id
    result = await apply_step(svc, update.effective_user.id, int(response_id), operation)
    if result is None or result.outcome == "foreign" or result.progress is None:
        await stale(update, context)
        return
    progress = result.progress
    texts = svc.texts
    if result.outcome == "ok":
        await query.answer()
        if after == "toggle":
            await _quietly(query.edit_message_reply_markup(views.question_keyboard(progress, texts)))
            return
        if after == "answered" and question_id is not None:
            question = progress.survey.question(question_id)
            await _quietly(query.edit_message_text(
                views.answered_text(progress, question, progress.answers.get(question_id), texts)))
        else:
            await _quietly(query.edit_message_reply_markup(None))
        if after == "cancel":
            await _say(context, chat_id, texts(progress.language, "survey.cancelled"))
            return
        await send_progress(context, chat_id, progress)
    elif result.outcome == "invalid" and result.reason in _ALERTS:
        await query.answer(texts(progress.language, f"survey.{result.reason}"), show_alert=True)
    elif result.outcome == "conflict":
        await query.answer(texts(progress.language, "survey.conflict"))
        await send_progress(context, chat_id, progress)
    else:  # stale: a button of an earlier question (or a survey that has ended); invalid: a value we never offered
        await query.answer(_stale_notice(svc, progress))
        if progress.question is not None:
            await send_question(context, chat_id, progress)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every `sv:` button. Anything that doesn't parse strictly is a stale/forged button."""
    svc = services(context)
    callback = views.parse(update.callback_query.data if update.callback_query else None)
    if callback is None or svc.survey_engine is None:
        await stale(update, context)
        return
    engine = svc.survey_engine
    args = callback.args
    match callback.verb:
        case "offer":
            await on_offer(update, context, args[0])
        case "consent":
            await on_consent(update, context, args[0], args[1])
        case "answer":
            rid, qid, raw = args
            await _on_step(update, context, rid, qid, lambda uow, r: engine.answer_button(uow, r, qid, raw), "answered")
        case "toggle":
            rid, qid, choice = args
            await _on_step(update, context, rid, qid, lambda uow, r: engine.toggle(uow, r, qid, choice), "toggle")
        case "done":
            rid, qid = args
            await _on_step(update, context, rid, qid, lambda uow, r: engine.finish_multi(uow, r, qid), "answered")
        case "skip":
            rid, qid = args
            await _on_step(update, context, rid, qid, lambda uow, r: engine.skip(uow, r, qid), "answered")
        case "keep":
            rid, qid = args
            await _on_step(update, context, rid, qid, lambda uow, r: engine.keep(uow, r, qid), "answered")
        case "back":
            rid, qid = args
            await _on_step(update, context, rid, qid, lambda uow, r: engine.back(uow, r, qid), "back")
        case "cancel":
            await _on_step(update, context, args[0], None, lambda uow, r: engine.cancel(uow, r), "cancel")
        case "resume":
            await _on_resume(update, context, int(args[0]))
        case "forget":
            await on_forget(update, context, args[0])


async def _on_resume(update: Update, context: ContextTypes.DEFAULT_TYPE, response_id: int) -> None:
    """"Continue" under a reminder: show the pending question."""
    svc = services(context)
    engine = _engine(svc)
    async with svc.uow() as uow:
        response = await engine.owned(uow, response_id, update.effective_user.id)
        progress = await engine.progress(uow, response) if response is not None else None
    if progress is None:
        await stale(update, context)
        return
    query = update.callback_query
    await _quietly(query.edit_message_reply_markup(None))
    if progress.question is None:
        await query.answer(_stale_notice(svc, progress))
        return
    await query.answer()
    await send_question(context, update.effective_chat.id, progress)


async def intercept(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any non-command message while a survey question is pending is about the survey, not for Q&A.

    A text answers a free-text question (or, typed, a scale); anything else gets a short re-prompt with the
    question again — nothing is lost. Then the update stops here (ApplicationHandlerStop), so the NLU never
    sees survey answers. Without an unfinished survey the message goes on to Q&A untouched.
    """
    svc = services(context)
    message, user = update.effective_message, update.effective_user
    if svc.survey_engine is None or not svc.survey_engine.surveys or message is None or user is None:
        return
    engine = svc.survey_engine
    text = message.text

    async def operation(uow: Any, response: SurveyResponse) -> Progress:
        if text is None:
            raise InvalidAnswer("non_text")
        return await engine.answer_text(uow, response, text)

    result = await apply_step(svc, user.id, None, operation)
    if result is None:
        return  # not in a survey
    progress = result.progress
    if progress is not None:
        if result.outcome == "ok":
            await send_progress(context, message.chat_id, progress)
        else:
            reason = result.reason if result.outcome == "invalid" else "conflict"
            note = svc.texts(progress.language, f"survey.{reason}", **(result.details or {}))
            await send_progress(context, message.chat_id, progress, note)
    raise ApplicationHandlerStop


# --- /cancel, /mydata, /forget ---------------------------------------------------------------------------------


async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel anywhere: stops an unfinished survey (deleting its answers) and any "waiting for your text"."""
    svc = services(context)
    engine = _engine(svc)
    user, chat = update.effective_user, update.effective_chat
    for attempt in range(3):
        try:
            async with svc.uow() as uow:
                language = await user_language(uow, update, svc.settings.default_language)
                response = await engine.in_progress(uow, user.id)
                if response is not None:
                    language = response.language
                    await engine.cancel(uow, response)
                db_user = await uow.users.get(user.id)
                awaiting = db_user is not None and db_user.awaiting is not None
                if awaiting:
                    db_user.awaiting = None
                await uow.commit()
            break
        except (StaleDataError, IntegrityError):
            if attempt == 2:
                raise
    if response is not None:
        key = "survey.cancelled"
    elif awaiting:
        key = "survey.action_cancelled"
    else:
        key = "survey.nothing_to_cancel"
    await _say(context, chat.id, svc.texts(language, key))


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "—"


async def mydata_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: everything the bot stores under the user's Telegram id."""
    svc = services(context)
    engine = _engine(svc)
    user, chat = update.effective_user, update.effective_chat
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        data = await collect_user_data(uow, user.id)
    texts = svc.texts
    if data.empty:
        await _say(context, chat.id, texts(language, "privacy.nothing"))
        return
    blocks = [texts(language, "privacy.title")]
    if data.user is not None:
        blocks.append(texts(language, "privacy.profile",
                            chosen=escape(data.user.language or texts(language, "privacy.not_set")),
                            telegram=escape(data.user.telegram_language or texts(language, "privacy.not_set")),
                            created=_date(data.user.created_at), seen=_date(data.user.last_seen_at)))
    blocks.append(texts(language, "privacy.questions", count=data.question_count))
    if data.recent_questions:
        lines = [texts(language, "privacy.recent")]
        for question in data.recent_questions:
            shown = question.text if len(question.text) <= 200 else question.text[:200] + "…"
            lines.append(f"  – «{escape(shown)}» ({_date(question.created_at)})")
        blocks.append("\n".join(lines))
    blocks.append(texts(language, "privacy.ratings", up=data.ratings_up, down=data.ratings_down))
    open_handoffs = sum(1 for handoff in data.handoffs if handoff.status == "open")
    blocks.append(texts(language, "privacy.handoffs", count=len(data.handoffs), open=open_handoffs))
    blocks.append(texts(language, "privacy.responses", count=len(data.survey_responses)))
    for response, answers in data.survey_responses:
        survey = engine.surveys.get(response.survey_id)
        title = survey.title.get(language) if survey else response.survey_id
        status = texts(language, f"privacy.status_{response.status}")
        blocks.append(texts(language, "privacy.response", title=escape(title), status=status,
                            date=_date(response.completed_at or response.started_at)))
        for row in answers:
            question = survey.question(row.question_id) if survey else None
            if question is None:
                continue
            shown = views.answer_text(question, Answer(decode(row.value), row.skipped), language, texts)
            blocks.extend(plain_block(f"  {question.text.get(language)} — {shown}", 3000))
    blocks.append(texts(language, "privacy.anonymous_note"))
    blocks.append(texts(language, "privacy.forget_hint"))
    for text in pack(blocks, separator="\n"):
        await _say(context, chat.id, text)


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: what will be deleted, and a confirm button."""
    svc = services(context)
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
    keyboard = InlineKeyboardMarkup([[
        InlineKeyboardButton(svc.texts(language, "privacy.forget_yes"), callback_data="sv:f:y"),
        InlineKeyboardButton(svc.texts(language, "privacy.forget_no"), callback_data="sv:f:n"),
    ]])
    await _say(context, update.effective_chat.id, svc.texts(language, "privacy.forget_confirm"), keyboard)


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE, answer: str) -> None:
    svc = services(context)
    engine = _engine(svc)
    query = update.callback_query
    user = update.effective_user
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        if answer == "y":
            counts = await forget_user(uow, user.id, engine.respondent_keys(user.id))
            await uow.commit()
    await query.answer()
    if answer != "y":
        await _quietly(query.edit_message_text(svc.texts(language, "privacy.forget_kept")))
        return
    deleted = sum(number for table, number in counts.items() if table != "survey_responses_unlinked")
    log.info("forgot a user: %s", counts)
    await _quietly(query.edit_message_text(svc.texts(language, "privacy.forgotten", count=deleted)))


# --- reminders ---------------------------------------------------------------------------------------------------


async def deliver_reminders(bot: Bot, svc: Services, now: datetime | None = None) -> int:
    """Send every due reminder once. Each is claimed first (UPDATE … WHERE sent_at IS NULL, one winner), so
    two bot processes never send the same reminder; the row is deleted after sending — for an anonymous
    response its chat id was the only link to a person. Returns how many were sent."""
    engine = _engine(svc)
    now = now or engine.clock()
    async with svc.uow() as uow:
        due = [(row.id, row.response_id, row.chat_id) for row in await uow.surveys.due_reminders(now)]
    sent = 0
    for reminder_id, response_id, chat_id in due:
        async with svc.uow() as uow:
            if not await uow.surveys.claim_reminder(reminder_id, now):
                continue  # another process has it
            response = await uow.surveys.response(response_id)
            progress = (await engine.progress(uow, response)
                        if response is not None and response.survey_id in engine.surveys else None)
            await uow.commit()
        if progress is None or progress.question is None:
            await _drop_reminder(svc, reminder_id)
            continue
        language = progress.language
        text = svc.texts(language, "survey.reminder", title=escape(progress.survey.title.get(language)),
                         number=progress.number, total=progress.total)
        try:
            await bot.send_message(chat_id, text, reply_markup=views.continue_keyboard(progress.response_id, language,
                                                                                       svc.texts))
        except (Forbidden, BadRequest) as exc:  # blocked the bot, chat gone: this reminder can never be sent
            log.info("survey reminder %s not deliverable: %s", reminder_id, exc)
        except TelegramError as exc:  # network trouble: release the claim, the next run tries again
            log.warning("survey reminder %s failed, will retry: %s", reminder_id, exc)
            async with svc.uow() as uow:
                await uow.surveys.release_reminder(reminder_id)
                await uow.commit()
            continue
        else:
            sent += 1
        await _drop_reminder(svc, reminder_id)
    return sent


async def _drop_reminder(svc: Services, reminder_id: int) -> None:
    async with svc.uow() as uow:
        await uow.surveys.delete_reminder_by_id(reminder_id)
        await uow.commit()


async def reminder_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    sent = await deliver_reminders(context.bot, services(context))
    if sent:
        log.info("sent %d survey reminder(s)", sent)


def schedule_reminders(application: Application, interval_seconds: float) -> None:
    """A repeating job that polls the database for due reminders: the schedule lives in the database, so
    restarting the bot re-arms every reminder. Sent through the application's bot (AIORateLimiter)."""
    if application.job_queue is None:
        log.warning("no job queue (install python-telegram-bot[job-queue]): survey reminders are not sent")
        return
    application.job_queue.run_repeating(reminder_job, interval=interval_seconds, first=min(10.0, interval_seconds),
                                        name="survey-reminders")
