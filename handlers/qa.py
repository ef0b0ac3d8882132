"""Applicants' questions: free text → knowledge-base answer, "did you mean", or an honest "not covered".

Every callback here has the same shape as PTB's examples: read the update, call the Telegram-free logic
(`bot.qa`), record what happened in one unit of work, then reply.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.db.models import HandoffRequest, Question
from bot.nlu_client import MAX_TEXT_FOR_NLU
from bot.qa import QAResult
from bot.render import answer_messages

from . import keyboards, survey_views
from . import staff_notify
from .common import preferred_language, send_html, services, telegram_code

log = logging.getLogger(__name__)

MAX_STORED_TEXT = 4096
ASSISTANT_SURVEY = "assistant"  # surveys/assistant.yaml: offered once an answer has been rated


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A free-text message: a question for the knowledge base (or a question for staff, if asked for)."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or not message.text:
        return
    svc = services(context)
    text = message.text.strip()[:MAX_STORED_TEXT]
    async with svc.uow() as uow:
        db_user = await uow.users.touch(user.id, telegram_code(update))
        fallback = preferred_language(db_user, telegram_code(update), svc.settings.default_language)
        if db_user.awaiting == "handoff":
            language = svc.qa.language_of(text, fallback)
            question = uow.questions.add(
                Question(user_id=user.id, chat_id=message.chat_id, text=text, language=language,
                         intent=None, confidence=0.0, engine="none", outcome="handoff")
            )
            await uow.flush()
            request = uow.handoffs.add(HandoffRequest(question_id=question.id, user_id=user.id, chat_id=message.chat_id,
                                                      text=text, language=language))
            db_user.awaiting = None
            await uow.commit()
            await staff_notify.handoff_created(context, request.id, user)
            await send_html(update, context, [svc.texts(language, "handoff.recorded")])
            return
        result = await svc.qa.ask(text, fallback)
        question = uow.questions.add(
            Question(
                user_id=user.id,
                chat_id=message.chat_id,
                text=text,
                language=result.language,
                intent=result.intent,
                confidence=round(result.confidence, 4),
                engine=result.engine,
                outcome=result.outcome,
                entry_id=result.entry.id if result.entry else None,
            )
        )
        await uow.flush()
        if result.kind == "meta" and result.intent == "human_handoff":
            db_user.awaiting = "handoff"
        await uow.commit()
    log.info("question %s: %s %s %.2f via %s", question.id, result.kind, result.intent, result.confidence, result.engine)
    notes = [svc.texts(result.language, "errors.truncated")] if len(text) > MAX_TEXT_FOR_NLU else []
    await reply(update, context, question.id, result, notes)


async def reply(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: int, result: QAResult, notes: list[str]
) -> None:
    svc = services(context)
    language = result.language
    if result.kind == "answer" and result.entry is not None:
        messages = answer_messages(result.entry, language, svc.kb, svc.texts)
        await send_html(update, context, notes + messages,
                        keyboards.answer(question_id, result.entry, language, svc.kb))
    elif result.kind == "clarify":
        await send_html(update, context, [*notes, svc.texts(language, "clarify.prompt")],
                        keyboards.suggestions(question_id, result.suggestions, language, svc.texts))
    elif result.kind == "meta":
        intent = result.intent or "help"
        if intent == "help":
            await send_html(update, context, [svc.texts(language, "help.text")])
        elif intent == "human_handoff":
            await send_html(update, context, [svc.texts(language, "handoff.ask")])
        elif intent == "bot_challenge":
            await send_html(update, context, [svc.texts(language, "meta.bot_challenge")],
                            keyboards.handoff_offer(question_id, language, svc.texts))
        else:
            await send_html(update, context, [svc.texts(language, f"meta.{intent}")])
    else:
        await send_html(update, context, [*notes, svc.texts(language, "out_of_scope.text")],
                        keyboards.handoff_offer(question_id, language, svc.texts))


async def _own_question(update: Update, uow, question_id: str) -> Question | None:
    """The question a button refers to — only if it exists and belongs to whoever pressed the button."""
    question = await uow.questions.get(int(question_id))
    user = update.effective_user
    if question is None or user is None or question.user_id != user.id:
        return None
    return question


async def on_pick(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: str, entry_id: str) -> None:
    """The user chose one of the "did you mean" entries: answer it and remember the choice."""
    svc = services(context)
    query = update.callback_query
    entry = svc.kb.entry(entry_id)
    async with svc.uow() as uow:
        question = await _own_question(update, uow, question_id)
        if question is None or entry is None:
            await stale(update, context)
            return
        question.entry_id = entry.id
        question.outcome = "chosen"
        language = question.language
        await uow.commit()
    await query.answer()
    await send_html(update, context, answer_messages(entry, language, svc.kb, svc.texts),
                    keyboards.answer(question.id, entry, language, svc.kb))


async def on_none(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: str) -> None:
    """None of the suggestions fit: the question is not covered — say so and offer a person."""
    svc = services(context)
    async with svc.uow() as uow:
        question = await _own_question(update, uow, question_id)
        if question is None:
            await stale(update, context)
            return
        question.outcome = "none_fit"
        language = question.language
        await uow.commit()
    await update.callback_query.answer()
    await send_html(update, context, [svc.texts(language, "out_of_scope.text")],
                    keyboards.handoff_offer(question.id, language, svc.texts))


async def on_rate(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: str, verdict: str) -> None:
    svc = services(context)
    query = update.callback_query
    async with svc.uow() as uow:
        question = await _own_question(update, uow, question_id)
        if question is None or question.entry_id is None or svc.kb.entry(question.entry_id) is None:
            await stale(update, context)
            return
        await uow.ratings.set(question, 1 if verdict == "u" else -1)
        await uow.commit()
    language = question.language
    await query.answer(svc.texts(language, "rating.thanks_up" if verdict == "u" else "rating.thanks_down"))
    entry = svc.kb.entry(question.entry_id)
    feedback = (survey_views.feedback_button(ASSISTANT_SURVEY, language, svc.texts)
                if ASSISTANT_SURVEY in svc.surveys else None)
    await query.edit_message_reply_markup(
        keyboards.answer(question.id, entry, language, svc.kb, rated=verdict, feedback=feedback))


async def on_handoff(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: str) -> None:
    """Pass an unanswered question to staff: stored, then forwarded to the staff chat (handlers/staff_notify)."""
    svc = services(context)
    query = update.callback_query
    async with svc.uow() as uow:
        question = await _own_question(update, uow, question_id)
        if question is None:
            await stale(update, context)
            return
        language = question.language
        if await uow.handoffs.open_for_question(question.id) is not None:
            await query.answer(svc.texts(language, "handoff.already"))
            return
        request = uow.handoffs.add(HandoffRequest(question_id=question.id, user_id=question.user_id,
                                                  chat_id=question.chat_id, text=question.text, language=language))
        await uow.commit()
    await query.answer()
    await query.edit_message_reply_markup(None)
    await staff_notify.handoff_created(context, request.id, update.effective_user)
    await send_html(update, context, [svc.texts(language, "handoff.recorded")])


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button we can't act on (forged, from another user, or referring to something gone)."""
    svc = services(context)
    query = update.callback_query
    if query is not None:
        language = preferred_language(None, telegram_code(update), svc.settings.default_language)
        await query.answer(svc.texts(language, "errors.stale_button"), show_alert=False)
