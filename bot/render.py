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
    return pack(_entry_blocks(entry, language, kb, texts, limit, with_caveat=True), limit)


def missing_detail_messages(
    entry: Entry, missing: str, language: str, kb: KnowledgeBase, texts: Translator,
    limit: int = TELEGRAM_TEXT_LIMIT,
) -> list[str]:
    """A decline of a detail the presentation does not give ("… in Latgale?"), with the entry as the context:
    what is missing first, then the entry (its caveat left out — the first line already says what it lacks)."""
    detail = texts(language, f"out_of_scope.specific.{missing}")
    intro = texts(language, "out_of_scope.specific.intro", detail=detail)
    return pack([intro, *_entry_blocks(entry, language, kb, texts, limit, with_caveat=False)], limit)


def _entry_blocks(
    entry: Entry, language: str, kb: KnowledgeBase, texts: Translator, limit: int, with_caveat: bool
) -> list[str]:
    section = kb.taxonomy.sections[entry.source].get(language)
    return [
        f"<b>{escape(entry.title.get(language))}</b>",
        *plain_block(entry.answer.get(language), limit),
        *([f"<i>{escape(entry.caveat.get(language))}</i>"] if with_caveat and entry.caveat is not None else []),
        f"<i>{escape(texts(language, 'answer.source', section=section))}</i>",
    ]
