"""Text normalisation shared by the NLU data build, the lexical matcher and language detection.

Latvian applicants very often type without diacritics ("budzets" for "budžets"), so every
comparison in this project happens on *folded* text: lower-cased, diacritics removed.
Cyrillic is left as it is (folding "й" to "и" would merge distinct Russian words).
"""

from __future__ import annotations

import re
import unicodedata

LANGUAGES: tuple[str, ...] = ("lv", "en", "ru")

_LATVIAN_DIACRITICS = set("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


def fold_latin_diacritics(text: str) -> str:
    """Remove diacritics from Latin letters only ("Budžets" -> "Budzets"), keep Cyrillic intact."""
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            # Keep combining marks that belong to Cyrillic letters (й = и + breve, ё = е + diaeresis).
            if out and _CYRILLIC.match(out[-1]):
                out.append(char)
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def fold(text: str) -> str:
    """Lower-case, fold Latin diacritics and collapse white space: the key every comparison uses."""
    return _SPACES.sub(" ", fold_latin_diacritics(text).casefold()).strip()


def words(text: str) -> list[str]:
    """Folded word tokens (letters and digits), punctuation dropped."""
    return _WORD.findall(fold(text))


def has_latvian_diacritics(text: str) -> bool:
    return any(char in _LATVIAN_DIACRITICS for char in text)


def script_of(text: str) -> str | None:
    """'cyrillic', 'latin' or None, by majority of letters."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if cyrillic == latin == 0:
        return None
    return "cyrillic" if cyrillic > latin else "latin"
