"""Escaping and splitting of Telegram HTML messages."""

from __future__ import annotations

import pytest

from bot.formatting import TELEGRAM_TEXT_LIMIT, escape, pack, plain_block, strip_tags
from bot.i18n import Translator
from bot.render import answer_messages


def test_user_and_kb_text_is_escaped_literally():
    assert escape("a_b *c* <d> & e") == "a_b *c* &lt;d&gt; &amp; e"
    assert strip_tags("<b>x</b> &amp; y") == "x & y"


def test_plain_block_splits_at_boundaries_and_every_piece_fits():
    paragraph = "Vārds " * 300
    text = "\n\n".join([paragraph] * 5)
    pieces = plain_block(text)
    assert len(pieces) > 1
    assert all(len(piece) <= TELEGRAM_TEXT_LIMIT for piece in pieces)
    assert "".join(strip_tags(p).replace(" ", "").replace("\n", "") for p in pieces) == text.replace(" ", "").replace("\n", "")


def test_escaping_growth_never_breaks_the_limit_or_an_entity():
    text = "<&>" * 3000  # every character grows when escaped
    pieces = plain_block(text)
    assert all(len(piece) <= TELEGRAM_TEXT_LIMIT for piece in pieces)
    for piece in pieces:  # no entity cut in half
        assert piece.count("&") == piece.count(";")
    assert "".join(strip_tags(p) for p in pieces) == text


def test_unbreakable_text_is_cut_hard():
    pieces = plain_block("x" * 10_000, limit=4096)
    assert [len(p) for p in pieces] == [4096, 4096, 1808]


def test_pack_joins_blocks_up_to_the_limit():
    assert pack(["a", "b"], limit=10) == ["a\n\nb"]
    assert pack(["a" * 6, "b" * 6], limit=10) == ["a" * 6, "b" * 6]
    with pytest.raises(ValueError):
        pack(["x" * 11], limit=10)


def test_answers_have_title_text_and_source_and_survive_a_tiny_limit(kb):
    texts = Translator()
    entry = kb.entries["rec_communities"]
    [message] = answer_messages(entry, "en", kb, texts)
    assert message.startswith("<b>") and "Source: programme presentation" in message
    small = answer_messages(entry, "ru", kb, texts, limit=200)
    assert len(small) > 1 and all(len(m) <= 200 for m in small)


def test_escape_shortened_counts_escaped_characters_and_never_cuts_an_entity():
    from bot.formatting import escape_shortened

    assert escape_shortened("a <b> & c", 100) == "a &lt;b&gt; &amp; c"
    shortened = escape_shortened("&" * 1000, 1500)
    assert len(shortened) <= 1500 and shortened.endswith("&amp;…") and shortened.count("&amp;") == 299
    assert escape_shortened("x&y", 4) == "x…"  # "&amp;" would not fit whole: dropped, not cut
    assert escape_shortened("a\n\n b", 10) == "a b" and escape_shortened("a\n b", 10, collapse=False) == "a\n b"
