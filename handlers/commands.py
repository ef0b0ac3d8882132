"""Commands and menu buttons: /start, /help, /language, /topics; plus what isn't text or isn't a command."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import ContextTypes

from bot.db.models import Question
from bot.render import answer_messages

from . import keyboards, surveys
from .common import preferred_language, send_html, services, telegram_code, user_language

DEEP_LINK_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def _language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    svc = services(context)
    async with svc.uow() as uow:
        return await user_language(uow, update, svc.settings.default_language)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greeting and menu. A deep-link payload (t.me/<bot>?start=<payload>) is kept for later use;
    `survey_<id>` then offers that survey."""
    svc = services(context)
    user = update.effective_user
    payload = context.args[0] if context.args else None
    async with svc.uow() as uow:
        db_user = await uow.users.touch(user.id, telegram_code(update))
        if payload and DEEP_LINK_PAYLOAD.match(payload):
            db_user.start_payload = payload
        db_user.awaiting = None
        language = preferred_language(db_user, telegram_code(update), svc.settings.default_language)
        await uow.commit()
    await send_html(update, context, [svc.texts(language, "start.greeting")], keyboards.start_menu(language, svc.texts))
    if payload and DEEP_LINK_PAYLOAD.match(payload):
        await surveys.start_from_deep_link(update, context, payload)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    await send_html(update, context, [svc.texts(await _language(update, context), "help.text")])


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    language = await _language(update, context)
    await send_html(update, context, [svc.texts(language, "language.prompt")], keyboards.languages(svc.texts))


async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    language = await _language(update, context)
    await send_html(update, context, [svc.texts(language, "topics.prompt")], keyboards.categories(language, svc.kb))


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str) -> None:
    svc = services(context)
    async with svc.uow() as uow:
        db_user = await uow.users.touch(update.effective_user.id, telegram_code(update))
        db_user.language = language
        await uow.commit()
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(svc.texts(language, "language.set"))


async def on_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, item: str) -> None:
    await update.callback_query.answer()
    await {"topics": topics, "help": help_command, "lang": language_command}[item](update, context)


async def on_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    language = await _language(update, context)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        svc.texts(language, "topics.prompt"), reply_markup=keyboards.categories(language, svc.kb)
    )


async def on_category(update: Update, context: ContextTypes.DEFAULT_TYPE, category: str) -> None:
    from .qa import stale

    svc = services(context)
    if category not in svc.kb.taxonomy.categories:
        await stale(update, context)
        return
    language = await _language(update, context)
    title = svc.kb.taxonomy.categories[category].get(language)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        svc.texts(language, "topics.category", category=title),
        reply_markup=keyboards.category_entries(category, language, svc.kb, svc.texts),
    )


async def on_entry(update: Update, context: ContextTypes.DEFAULT_TYPE, entry_id: str) -> None:
    """An entry opened by browsing: answered like a question (logged as 'browse', so it can be rated)."""
    from .qa import stale

    svc = services(context)
    entry = svc.kb.entry(entry_id)
    if entry is None:
        await stale(update, context)
        return
    user = update.effective_user
    async with svc.uow() as uow:
        db_user = await uow.users.touch(user.id, telegram_code(update))
        language = preferred_language(db_user, telegram_code(update), svc.settings.default_language)
        question = uow.questions.add(
            Question(user_id=user.id, chat_id=update.effective_chat.id, text=f"[topics] {entry.id}",
                     language=language, intent=entry.id, confidence=1.0, engine="browse", outcome="browse",
                     entry_id=entry.id)
        )
        await uow.flush()
        await uow.commit()
    await update.callback_query.answer()
    await send_html(update, context, answer_messages(entry, language, svc.kb, svc.texts),
                    keyboards.answer(question.id, entry, language, svc.kb))


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, files…: say politely that only text is understood."""
    svc = services(context)
    await send_html(update, context, [svc.texts(await _language(update, context), "errors.non_text")])


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    await send_html(update, context, [svc.texts(await _language(update, context), "errors.unknown_command")])
