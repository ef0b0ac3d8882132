"""Inline keyboards of Q&A and browsing. Their callback data comes from the one grammar in `handlers.common`."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.i18n import LANGUAGES, Translator
from knowledge.loader import KnowledgeBase
from knowledge.schema import Entry

from .common import button, markup


def start_menu(language: str, texts: Translator) -> InlineKeyboardMarkup:
    return markup(
        [
            [button(texts(language, "menu.topics"), "qa.menu", "topics")],
            [
                button(texts(language, "menu.help"), "qa.menu", "help"),
                button(texts(language, "menu.language"), "qa.menu", "lang"),
            ],
        ]
    )


def languages(texts: Translator) -> InlineKeyboardMarkup:
    return markup(
        [[button(texts(code, "language_name"), "qa.lang", code) for code in LANGUAGES]]
    )


def answer(
    question_id: int,
    entry: Entry,
    language: str,
    kb: KnowledgeBase,
    rated: str | None = None,
    feedback_survey: str | None = None,
    texts: Translator | None = None,
) -> InlineKeyboardMarkup:
    """👍/👎 for the answer, then its related entries to read next (and, once rated, a button offering the
    feedback survey `feedback_survey`)."""
    up = "👍" + (" ✓" if rated == "u" else "")
    down = "👎" + (" ✓" if rated == "d" else "")
    rows = [
        [
            button(up, "qa.rate", question_id, "u"),
            button(down, "qa.rate", question_id, "d"),
        ]
    ]
    if entry.caveat is not None and texts is not None:  # the answer says "ask staff": make that one tap
        rows.append([button(texts(language, "handoff.offer"), "qa.handoff", question_id)])
    for related_id in entry.related[:3]:
        related = kb.entry(related_id)
        if related is not None:
            rows.append([button("→ " + related.title.get(language), "qa.entry", related.id)])
    if feedback_survey is not None and texts is not None:
        rows.append([button(texts(language, "survey.feedback_button"), "sv.offer", feedback_survey)])
    return markup(rows)


def suggestions(question_id: int, entries: tuple[Entry, ...], language: str, texts: Translator) -> InlineKeyboardMarkup:
    rows = [[button(e.title.get(language), "qa.pick", question_id, e.id)] for e in entries]
    rows.append([button(texts(language, "clarify.none"), "qa.none", question_id)])
    return markup(rows)


def handoff_offer(question_id: int, language: str, texts: Translator) -> InlineKeyboardMarkup:
    return markup([[button(texts(language, "handoff.offer"), "qa.handoff", question_id)]])


def categories(language: str, kb: KnowledgeBase) -> InlineKeyboardMarkup:
    rows = [
        [button(title.get(language), "qa.category", key)]
        for key, title in kb.taxonomy.categories.items()
        if kb.by_category(key)
    ]
    return markup(rows)


def category_entries(category: str, language: str, kb: KnowledgeBase, texts: Translator) -> InlineKeyboardMarkup:
    rows = [[button(e.title.get(language), "qa.entry", e.id)] for e in kb.by_category(category)]
    rows.append([button(texts(language, "topics.back"), "qa.topics")])
    return markup(rows)
