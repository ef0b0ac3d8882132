"""Telegram HTML messages: escaping and splitting under the 4096-character limit.

Messages are sent with parse_mode=HTML. Everything that comes from a user or from the knowledge base goes
through `escape()` (`<`, `>`, `&` — quotes are harmless outside attributes), so text such as "a_b *c* <d> & e"
arrives literally. Messages are assembled from *blocks* of finished HTML, each with balanced tags; blocks
are packed into messages, and a block longer than the limit is cut at paragraph, line or word boundaries
*before* escaping, so no entity or tag is ever cut in half.
"""

from __future__ import annotations

import html
import re

TELEGRAM_TEXT_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def escape_shortened(text: str, limit: int, collapse: bool = True) -> str:
    """Plain text → escaped HTML of at most `limit` characters: shortened *before* escaping (whitespace collapsed
    unless `collapse` is False), ending in "…" when cut — finished HTML is never sliced, so no entity is cut in
    half and a text of special characters ("&&&…", five times longer escaped) still fits."""
    if collapse:
        text = " ".join(text.split())
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    budget = limit - 1  # room for "…"
    pieces: list[str] = []
    for character in text:
        piece = escape(character)
        if len(piece) > budget:
            break
        pieces.append(piece)
        budget -= len(piece)
    return "".join(pieces).rstrip() + "…"


def strip_tags(text: str) -> str:
    """HTML → plain text (for the console chat and for logs)."""
    return html.unescape(_TAG.sub("", text))


def _cut_plain(text: str, limit: int) -> list[str]:
    """Cut plain text into pieces whose *escaped* length fits `limit`, preferring natural boundaries."""
    pieces: list[str] = []
    rest = text
    while len(escape(rest)) > limit:
        window = rest[:limit]
        # Escaping can only lengthen text; shrink the window until its escaped form fits.
        while len(escape(window)) > limit:
            window = window[: max(1, len(window) - (len(escape(window)) - limit))]
        cut = -1
        for separator in ("\n\n", "\n", ". ", " "):
            position = window.rfind(separator)
            if position > limit // 3:
                cut = position + len(separator)
                break
        if cut <= 0:
            cut = len(window)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def plain_block(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Plain text → one or more escaped HTML blocks, each within `limit`."""
    return [escape(piece) for piece in _cut_plain(text, limit)]


def pack(blocks: list[str], limit: int = TELEGRAM_TEXT_LIMIT, separator: str = "\n\n") -> list[str]:
    """Join finished HTML blocks into as few messages as possible, none longer than `limit`."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        if len(block) > limit:
            raise ValueError("an HTML block longer than the limit must be built with plain_block()")
        candidate = f"{current}{separator}{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            messages.append(current)
            current = block
    if current:
        messages.append(current)
    return messages
