"""Word tokens and stop words for the lexical matcher and language detection — without spaCy.

The matcher used spaCy's blank lv/ru tokenizers (keeping alphabetic and numeric tokens) and spaCy's stop-word
lists; loading spaCy cost ≈ 75 MB of memory per bot process. This regular-expression tokenizer gives the same
tokens on every example question and title of the knowledge base and both evaluation sets (checked by
tests/unit/test_tokens.py against spaCy when it is installed), and the stop words are spaCy's lists, folded,
copied into knowledge/stop_words/*.txt (regenerate with `python -m knowledge.tokens` where spaCy is installed).

spaCy's rules that matter here: a possessive 's is split off ("programme's" → "programme"); other words with
an apostrophe ("I'm", "didn't"), "&" or "@" are one token that is not a word, so they are dropped; a hyphen
or slash between letters, and a hyphen between digits, splits ("e-pasts" → "e", "pasts"; "2016-2021"); an en
or em dash between digits does not, and the token is no number, so it is dropped ("2016–2021"); a word with a
hyphen before a space is one token that is no word, dropped too ("Russian- and Latvian-speaking"); so is a single
letter with a dot after it, an initial ("J. Miller", "А. Смирнов", "Plan B."); and an emoticon with a letter
(":D", ";-P", "joku:D"), one token that is no word.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from .text import fold

STOP_WORDS_DIR = Path(__file__).resolve().parent / "stop_words"
_CHUNK = re.compile(r"[\w@]+(?:(?:\.[–—]|[-–—'’.,/:&@])\w+)*(?:-(?=\s|$))?", re.UNICODE)
_INFIX = re.compile(r"(?<=[^\W\d_])[-–—/'’:](?=[^\W\d_])|(?<=\d)-(?=\d)")
_POSSESSIVE = re.compile(r"(.+?)['’][sS]")
_EMOTICON = re.compile(r"[:;=]-?[DPOXdpox](?!\w)")


def tokens(text: str) -> list[str]:
    """Folded alphabetic and numeric tokens of `text`, in order."""
    out: list[str] = []
    text = _EMOTICON.sub(" ", text)
    for match in _CHUNK.finditer(text):
        chunk = match.group()
        if len(chunk) == 1 and chunk.isalpha() and text.startswith(".", match.end()):
            continue  # an initial
        if chunk.isalnum():
            pieces = [chunk]
        elif "@" in chunk or "&" in chunk:
            pieces = []
        elif "'" in chunk or "’" in chunk:
            possessive = _POSSESSIVE.fullmatch(chunk)
            pieces = [possessive.group(1)] if possessive else []
        else:
            pieces = _INFIX.split(chunk)
        out.extend(fold(piece) for piece in pieces if piece.isalpha() or piece.isdigit())
    return out


@cache
def stop_words(language: str) -> frozenset[str]:
    """spaCy's stop words for `language` (lv, en, ru), folded."""
    lines = (STOP_WORDS_DIR / f"{language}.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _regenerate() -> None:  # pragma: no cover - a maintenance tool, needs spaCy
    import spacy

    for language in ("lv", "en", "ru"):
        words = sorted({fold(word) for word in spacy.blank(language).Defaults.stop_words})
        version = getattr(spacy, "__version__", "?")
        header = f"# spaCy {version} stop words for '{language}' (MIT licence), folded; regenerate: see knowledge/tokens.py\n"
        (STOP_WORDS_DIR / f"{language}.txt").write_text(header + "\n".join(words) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    _regenerate()
