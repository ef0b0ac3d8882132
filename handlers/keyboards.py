"""Inline keyboards and their callback data.

Callback data is short ASCII (`<verb>:<args>`, ids only, ≤ 64 bytes as Telegram requires) and is never
trusted: `parse()` accepts only the exact shapes below; handlers then check that the referenced rows exist
and belong to the user who pressed the button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import LANGUAGES, Translator
from knowledge.loader import KnowledgeBase
from knowledge.schema import Entry

_PATTERNS = {
    "lang": re.compile(r"^lang:(lv|en|ru)$"),
    "menu": re.compile(r"^menu:(topics|help|lang)$"),
    "topics": re.compile(r"^top$"),
    "category": re.compile(r"^top:c:([a-z][a-z0-9_]{0,39})$"),
    "entry": re.compile(r"^top:e:([a-z][a-z0-9_]{0,39})$"),
    "pick": re.compile(r"^pick:(\d{1,12}):([a-z][a-z0-9_]{0,39})$"),
    "none": re.compile(r"^none:(\d{1,12})$"),
    "rate": re.compile(r"^rate:(\d{1,12}):([ud])$"),
    "handoff": re.compile(r"^ho:(\d{1,12})$"),
}


@dataclass(frozen=True)
class Callback:
    verb: str
    args: tuple[str, ...]


def parse(data: str | None) -> Callback | None:
    """The callback's verb and arguments, or None for anything we did not produce."""
    if not data or len(data.encode()) > 64:
        return None
    for verb, pattern in _PATTERNS.items():
        match = pattern.match(data)
        if match:
            return Callback(verb, match.groups())
    return None


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([row for row in rows if row])


def start_menu(language: str, texts: Translator) -> InlineKeyboardMarkup:
    return _markup(
        [
            [InlineKeyboardButton(texts(language, "menu.topics"), callback_data="menu:topics")],
            [
                InlineKeyboardButton(texts(language, "menu.help"), callback_data="menu:help"),
                InlineKeyboardButton(texts(language, "menu.language"), callback_data="menu:lang"),
            ],
        ]
    )


def languages(texts: Translator) -> InlineKeyboardMarkup:
    return _markup(
        [[InlineKeyboardButton(texts(code, "language_name"), callback_data=f"lang:{code}") for code in LANGUAGES]]
    )


def answer(
    question_id: int,
    entry: Entry,
    language: str,
    kb: KnowledgeBase,
    rated: str | None = None,
    feedback: InlineKeyboardButton | None = None,
) -> InlineKeyboardMarkup:
    """👍/👎 for the answer, then its related entries to read next (and, once rated, a feedback-survey button)."""
    up = "👍" + (" ✓" if rated == "u" else "")
    down = "👎" + (" ✓" if rated == "d" else "")
    rows = [
        [
            InlineKeyboardButton(up, callback_data=f"rate:{question_id}:u"),
            InlineKeyboardButton(down, callback_data=f"rate:{question_id}:d"),
        ]
    ]
    for related_id in entry.related[:3]:
        related = kb.entry(related_id)
        if related is not None:
            rows.append([InlineKeyboardButton("→ " + related.title.get(language), callback_data=f"top:e:{related.id}")])
    if feedback is not None:
        rows.append([feedback])
    return _markup(rows)


def suggestions(question_id: int, entries: tuple[Entry, ...], language: str, texts: Translator) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(e.title.get(language), callback_data=f"pick:{question_id}:{e.id}")] for e in entries]
    rows.append([InlineKeyboardButton(texts(language, "clarify.none"), callback_data=f"none:{question_id}")])
    return _markup(rows)


def handoff_offer(question_id: int, language: str, texts: Translator) -> InlineKeyboardMarkup:
    return _markup([[InlineKeyboardButton(texts(language, "handoff.offer"), callback_data=f"ho:{question_id}")]])


def categories(language: str, kb: KnowledgeBase) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(title.get(language), callback_data=f"top:c:{key}")]
        for key, title in kb.taxonomy.categories.items()
        if kb.by_category(key)
    ]
    return _markup(rows)


def category_entries(category: str, language: str, kb: KnowledgeBase, texts: Translator) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(e.title.get(language), callback_data=f"top:e:{e.id}")] for e in kb.by_category(category)]
    rows.append([InlineKeyboardButton(texts(language, "topics.back"), callback_data="top")])
    return _markup(rows)
