"""Applicants' questions: free text → knowledge-base answer, "did you mean", or an honest "not covered".

Each callback translates: read the update, call one use case (`bot.questions.Questions`, `bot.handoff.Handoffs`),
render what it returns.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.nlu_client import MAX_TEXT_FOR_NLU
from bot.qa import HUMAN_HANDOFF, QAResult
from bot.questions import is_blank
from bot.render import answer_messages, missing_detail_messages

from . import keyboards
from .common import edit_markup, reply_language, send_html, services, staff_poster, stale, telegram_code, user_id

log = logging.getLogger(__name__)

ASSISTANT_SURVEY = "assistant"  # surveys/assistant.yaml: offered once an answer has been rated


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A free-text message: a question for the knowledge base (or a question for staff, if asked for)."""
    message = update.effective_message
    if message is None or update.effective_user is None or not message.text:
        return
    svc = services(context)
    if is_blank(message.text):  # spaces, line breaks, invisible characters only: not a question, nothing stored
        await send_html(update, context, [svc.texts(await reply_language(update, context), "errors.blank_text")])
        return
    asked = await svc.questions.ask(user_id(update), message.chat_id, message.text, telegram_code(update))
    if asked.limited is not None:  # too fast, or too many open requests to staff: say so, politely
        svc.metrics.limited.labels(asked.limited.value).inc()
        await send_html(update, context, [svc.texts(asked.language, f"limits.{asked.limited.value}")])
        return
    if asked.result is None:  # a question for staff
        assert asked.handoff_id is not None
        await notify_staff(update, context, asked.handoff_id)
        await send_html(update, context, [svc.texts(asked.language, "handoff.recorded")])
        return
    notes = [svc.texts(asked.language, "errors.truncated")] if len(message.text.strip()) > MAX_TEXT_FOR_NLU else []
    await reply(update, context, asked.question_id, asked.result, notes)


async def reply(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: int, result: QAResult, notes: list[str]
) -> None:
    svc = services(context)
    language = result.language
    if result.kind == "answer" and result.entry is not None:
        messages = answer_messages(result.entry, language, svc.kb, svc.texts)
        await send_html(update, context, notes + messages,
                        keyboards.answer(question_id, result.entry, language, svc.kb, texts=svc.texts))
    elif result.kind == "clarify":
        await send_html(update, context, [*notes, svc.texts(language, "clarify.prompt")],
                        keyboards.suggestions(question_id, result.suggestions, language, svc.texts))
    elif result.kind == "related":
        await send_html(update, context, [*notes, svc.texts(language, "followup.more")],
                        keyboards.suggestions(question_id, result.suggestions, language, svc.texts))
    elif result.kind == "meta":
        intent = result.intent or "help"
        if intent == "help":
            await send_html(update, context, [svc.texts(language, "help.text")])
        elif intent == HUMAN_HANDOFF:
            await send_html(update, context, [svc.texts(language, "handoff.ask")])
        elif intent == "bot_challenge":
            await send_html(update, context, [svc.texts(language, "meta.bot_challenge")],
                            keyboards.handoff_offer(question_id, language, svc.texts))
        else:
            await send_html(update, context, [svc.texts(language, f"meta.{intent}")])
    elif result.kind == "out_of_scope" and result.entry is not None and result.missing is not None:
        messages = missing_detail_messages(result.entry, result.missing, language, svc.kb, svc.texts)
        await send_html(update, context, notes + messages, keyboards.handoff_offer(question_id, language, svc.texts))
    elif result.intent == "smalltalk":  # off-topic: no point passing it to staff
        await send_html(update, context, [*notes, svc.texts(language, "out_of_scope.smalltalk")])
    else:
        await send_html(update, context, [*notes, svc.texts(language, "out_of_scope.text")],
                        keyboards.handoff_offer(question_id, language, svc.texts))


async def on_pick(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: str, entry_id: str) -> None:
    """The user chose one of the "did you mean" entries: answer it and remember the choice."""
    svc = services(context)
    entry = svc.kb.entry(entry_id)
    question = await svc.questions.pick(user_id(update), int(question_id), entry) if entry is not None else None
    if question is None or entry is None or update.callback_query is None:
        await stale(update, context)
        return
    await update.callback_query.answer()
    await send_html(update, context, answer_messages(entry, question.language, svc.kb, svc.texts),
                    keyboards.answer(question.id, entry, question.language, svc.kb, texts=svc.texts))


async def on_none(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: str) -> None:
    """None of the suggestions fit: the question is not covered — say so and offer a person."""
    svc = services(context)
    question = await svc.questions.none_fit(user_id(update), int(question_id))
    if question is None or update.callback_query is None:
        await stale(update, context)
        return
    await update.callback_query.answer()
    await send_html(update, context, [svc.texts(question.language, "out_of_scope.text")],
                    keyboards.handoff_offer(question.id, question.language, svc.texts))


async def on_rate(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: str, verdict: str) -> None:
    svc = services(context)
    query = update.callback_query
    question = await svc.questions.rate(user_id(update), int(question_id), verdict == "u", frozenset(svc.kb.entries))
    entry = svc.kb.entry(question.entry_id) if question is not None and question.entry_id else None
    if question is None or entry is None or query is None:
        await stale(update, context)
        return
    language = question.language
    await query.answer(svc.texts(language, "rating.thanks_up" if verdict == "u" else "rating.thanks_down"))
    feedback = ASSISTANT_SURVEY if ASSISTANT_SURVEY in svc.surveys else None
    await edit_markup(query, keyboards.answer(question.id, entry, language, svc.kb, rated=verdict,
                                              feedback_survey=feedback, texts=svc.texts))


async def on_handoff(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: str) -> None:
    """Pass an unanswered question to staff: stored, then forwarded to the staff chat."""
    svc = services(context)
    query = update.callback_query
    requested = await svc.handoffs.request(user_id(update), int(question_id))
    if requested.state == "stale" or requested.language is None or query is None:
        await stale(update, context)
        return
    if requested.state == "already":
        await query.answer(svc.texts(requested.language, "handoff.already"))
        return
    if requested.state == "too_many":
        svc.metrics.limited.labels("handoffs").inc()
        await query.answer()
        await send_html(update, context, [svc.texts(requested.language, "limits.handoffs")])
        return
    await query.answer()
    await edit_markup(query, None)
    assert requested.request_id is not None
    await notify_staff(update, context, requested.request_id)
    await send_html(update, context, [svc.texts(requested.language, "handoff.recorded")])


async def notify_staff(update: Update, context: ContextTypes.DEFAULT_TYPE, request_id: int) -> None:
    """Post a hand-off to staff (its reference number, language and text — not who asked). Never raises: the
    applicant is told the question is recorded, and it stays in the database; an undelivered one is retried by
    the hand-off job (handlers/staff/handoff.py)."""
    try:
        await services(context).handoffs.notify_staff(request_id, staff_poster(context.bot))
    except Exception:
        log.exception("could not notify staff of handoff %s", request_id)
