"""/unanswered and its buttons: recent questions that fell back, were declined or got 👎; ➕ adds one as an
example of a knowledge-base entry (bot.staff.kb_editor); the bot reloads the knowledge base at once and the NLU
gateway retrains in the background (bot.teaching; `teaching_job` tells the admin when the new model answers)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.formatting import escape, escape_shortened, pack
from bot.staff.render import unanswered_block
from bot.staff.repositories import UnansweredQuestion
from bot.vocabulary import QuestionOutcome

from ..common import button, edit_text, markup, send_html, services, stale, telegram_code, user_id
from .access import count_arg, staff_only

log = logging.getLogger(__name__)

UNANSWERED_DEFAULT, UNANSWERED_MAX = 10, 30
OUT_OF_SCOPE = QuestionOutcome.OUT_OF_SCOPE  # "not the knowledge base's business": an example of out_of_scope


@staff_only("unanswered")
async def unanswered_command(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, args: list[str]) -> None:
    """/unanswered [N] — recent questions that fell back, were declined or got 👎, each with a ➕ button."""
    svc = services(context)
    items = await svc.staff.unanswered(count_arg(args[0] if args else None, UNANSWERED_DEFAULT, UNANSWERED_MAX))
    if not items:
        await send_html(update, context, [svc.texts(language, "staff.unanswered.none")])
        return
    blocks = [svc.texts(language, "staff.unanswered.header", count=len(items))]
    blocks += [unanswered_block(item, svc.kb, svc.texts, language) for item in items]
    rows = [[button(svc.texts(language, "staff.unanswered.button", id=item.id), "adm.suggest", item.id)]
            for item in items]
    await send_html(update, context, pack(blocks), markup(rows))


async def _suggestion_keyboard(context: ContextTypes.DEFAULT_TYPE, question: UnansweredQuestion,
                               language: str) -> InlineKeyboardMarkup:
    svc = services(context)
    kb = svc.kb
    rows = []
    for entry_id in await svc.staff.candidates(question):
        entry = kb.entry(entry_id)
        if entry is not None:
            rows.append([button("➕ " + entry.title.get(language), "adm.assign", question.id, entry_id)])
    categories = [button(title.get(language), "adm.category", question.id, key)
                  for key, title in kb.taxonomy.categories.items() if kb.by_category(key)]
    rows += [categories[i : i + 2] for i in range(0, len(categories), 2)]
    rows.append([button(svc.texts(language, "staff.unanswered.out_of_scope"), "adm.assign", question.id, OUT_OF_SCOPE)])
    return markup(rows)


async def on_suggest(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, question_id: int,
                     edit: bool) -> None:
    """➕ on a question: the likely entries, the categories to browse, and out_of_scope."""
    svc = services(context)
    question = await svc.staff.suggest(user_id(update), question_id)
    if question is None:
        await stale(update, context)
        return
    language = await svc.accounts.language(user_id(update), telegram_code(update))
    text = svc.texts(language, "staff.unanswered.choose", text=escape_shortened(question.text, 300),
                     lang=escape(question.language))
    keyboard = await _suggestion_keyboard(context, question, language)
    await query.answer()
    if edit:
        await edit_text(query, text, keyboard)
    else:
        await send_html(update, context, [text], keyboard)


async def on_category(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, question_id: int,
                      category: str) -> None:
    svc = services(context)
    kb = svc.kb
    if category not in kb.taxonomy.categories or not kb.by_category(category):
        await stale(update, context)
        return
    question = await svc.staff.suggest(user_id(update), question_id, category=category)
    if question is None:
        await stale(update, context)
        return
    language = await svc.accounts.language(user_id(update), telegram_code(update))
    rows = [[button(entry.title.get(language), "adm.assign", question.id, entry.id)] for entry in kb.by_category(category)]
    rows.append([button(svc.texts(language, "staff.unanswered.back"), "adm.suggest_edit", question.id)])
    text = svc.texts(language, "staff.unanswered.category", category=escape(kb.taxonomy.categories[category].get(language)),
                     text=escape_shortened(question.text, 300))
    await query.answer()
    await edit_text(query, text, markup(rows))


async def on_assign(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, question_id: int,
                    intent: str) -> None:
    """Add the question's text as an example of the entry, in the knowledge-base file; the bot reloads it."""
    svc = services(context)
    kb = svc.kb
    if kb.entry(intent) is None and intent != OUT_OF_SCOPE:
        await stale(update, context)
        return
    language = await svc.accounts.language(user_id(update), telegram_code(update))
    assigned = await svc.staff.assign(user_id(update), question_id, intent, language)
    if assigned is None:
        await stale(update, context)
        return
    await query.answer()
    added = assigned.added
    if assigned.refused:
        kinds = ", ".join(svc.texts(language, f"staff.unanswered.kind_{kind}") for kind in assigned.refused)
        await edit_text(query, svc.texts(language, "staff.unanswered.refused", kinds=escape(kinds)), None)
        return
    if added is None:
        await edit_text(query, svc.texts(language, "staff.unanswered.failed", reason=escape_shortened(assigned.error or "", 500)), None)
        return
    entry = kb.entry(intent)
    title = entry.title.get(language) if entry else intent
    log.info("staff %s added an example to %s (%s)", user_id(update), intent, added.path.name)
    lines = [svc.texts(language, "staff.unanswered.added", text=escape_shortened(added.text, 1000), lang=escape(added.language),
                       title=escape(title), file=escape(_relative(added.path, svc.settings.knowledge_dir))),
             svc.texts(language, "staff.teaching.reloaded" if assigned.reloaded else "staff.teaching.not_reloaded"),
             svc.texts(language, "staff.teaching.retraining" if assigned.retrains else "staff.teaching.no_nlu")]
    await edit_text(query, "\n".join(lines), None)


async def teaching_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every NLU_WATCH_SECONDS: reload the knowledge base if it changed; tell admins how retraining went."""
    bot = context.bot

    async def send(chat: int, text: str) -> bool:
        try:
            await bot.send_message(chat, text)
        except TelegramError as exc:
            log.warning("could not tell admin %s about the NLU model: %s", chat, exc)
            return False
        return True

    await services(context).teaching.poll(send)


def schedule_teaching(application: Application[Any, Any, Any, Any, Any, Any], interval_seconds: float) -> None:
    if application.job_queue is None:
        log.warning("no job queue: the knowledge base is reloaded only after /unanswered assignments")
        return
    application.job_queue.run_repeating(teaching_job, interval=interval_seconds, first=interval_seconds,
                                        name="teaching")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name
