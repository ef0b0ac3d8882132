"""Commands and menu buttons: /start, /help, /language, /topics; plus what isn't text or isn't a command."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.accounts import DEEP_LINK_PAYLOAD
from bot.formatting import escape
from bot.render import answer_messages

from . import keyboards, surveys
from .common import chat_id, edit_text, reply_language, send_html, services, stale, telegram_code, user_id


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greeting and menu. A deep-link payload (t.me/<bot>?start=<payload>) is kept for later use;
    `survey_<id>` then offers that survey (handlers/surveys.py)."""
    svc = services(context)
    payload = context.args[0] if context.args else None
    language = await svc.accounts.start(user_id(update), telegram_code(update), payload)
    await send_html(update, context, [svc.texts(language, "start.greeting")], keyboards.start_menu(language, svc.texts))
    if payload and DEEP_LINK_PAYLOAD.fullmatch(payload):
        await surveys.start_from_deep_link(update, context, payload)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    await send_html(update, context, [svc.texts(await reply_language(update, context), "help.text")])


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    language = await reply_language(update, context)
    await send_html(update, context, [svc.texts(language, "language.prompt")], keyboards.languages(svc.texts))


async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    language = await reply_language(update, context)
    await send_html(update, context, [svc.texts(language, "topics.prompt")], keyboards.categories(language, svc.kb))


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str) -> None:
    svc = services(context)
    query = update.callback_query
    assert query is not None
    await svc.accounts.set_language(user_id(update), telegram_code(update), language)
    await query.answer()
    await edit_text(query, svc.texts(language, "language.set"))


async def on_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, item: str) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    await {"topics": topics, "help": help_command, "lang": language_command}[item](update, context)


async def on_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    query = update.callback_query
    assert query is not None
    language = await reply_language(update, context)
    await query.answer()
    await edit_text(query, svc.texts(language, "topics.prompt"), keyboards.categories(language, svc.kb))


async def on_category(update: Update, context: ContextTypes.DEFAULT_TYPE, category: str) -> None:
    svc = services(context)
    query = update.callback_query
    if category not in svc.kb.taxonomy.categories or query is None:
        await stale(update, context)
        return
    language = await reply_language(update, context)
    title = svc.kb.taxonomy.categories[category].get(language)
    await query.answer()
    await edit_text(query, svc.texts(language, "topics.category", category=escape(title)),
                    keyboards.category_entries(category, language, svc.kb, svc.texts))


async def on_entry(update: Update, context: ContextTypes.DEFAULT_TYPE, entry_id: str) -> None:
    """An entry opened by browsing: answered like a question (logged as 'browse', so it can be rated)."""
    svc = services(context)
    entry = svc.kb.entry(entry_id)
    if entry is None or update.callback_query is None:
        await stale(update, context)
        return
    browsed = await svc.questions.browse(user_id(update), chat_id(update), entry, telegram_code(update))
    await update.callback_query.answer()
    await send_html(update, context, answer_messages(entry, browsed.language, svc.kb, svc.texts),
                    keyboards.answer(browsed.question_id, entry, browsed.language, svc.kb, texts=svc.texts))


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, files…: say politely that only text is understood."""
    svc = services(context)
    await send_html(update, context, [svc.texts(await reply_language(update, context), "errors.non_text")])
