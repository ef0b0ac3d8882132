"""Knowledge-base answers as Telegram HTML messages (no Telegram objects: strings only)."""

from __future__ import annotations

from knowledge.loader import KnowledgeBase
from knowledge.schema import Entry

from .formatting import TELEGRAM_TEXT_LIMIT, escape, pack, plain_block
from .i18n import Translator


def answer_messages(
    entry: Entry, language: str, kb: KnowledgeBase, texts: Translator, limit: int = TELEGRAM_TEXT_LIMIT
) -> list[str]:
    """Title, answer and its source section; split into several messages only if it must be."""
    section = kb.taxonomy.sections[entry.source].get(language)
    blocks = [
        f"<b>{escape(entry.title.get(language))}</b>",
        *plain_block(entry.answer.get(language), limit),
        *([f"<i>{escape(entry.caveat.get(language))}</i>"] if entry.caveat is not None else []),
        f"<i>{escape(texts(language, 'answer.source', section=section))}</i>",
    ]
    return pack(blocks, limit)
