"""Which language is a question written in: lv, en or ru — or "can't tell".

Cyrillic means Russian (the programme's languages are lv, en, ru). Latin text is Latvian when it has
Latvian diacritics; otherwise we vote with vocabularies: words that appear only in the Latvian or only in
the English example questions of the knowledge base, plus spaCy's stop-word lists (copied, knowledge/tokens.py). Latvian typed without
diacritics ("kads bija budzets") is recognised by its folded words. A message without evidence
("ok", "2016?") returns None, and the caller falls back to the user's chosen or Telegram language.
"""

from __future__ import annotations

from collections import Counter

from .loader import KnowledgeBase
from .text import has_latvian_diacritics, script_of, words
from .tokens import stop_words


class LanguageDetector:
    def __init__(self, kb: KnowledgeBase) -> None:
        counts: dict[str, Counter[str]] = {"lv": Counter(), "en": Counter()}
        for intent in kb.intents:
            for language, text in kb.examples(intent):
                if language in counts:
                    counts[language].update(set(words(text)))
        lv_vocab = set(counts["lv"]) | set(stop_words("lv"))
        en_vocab = set(counts["en"]) | set(stop_words("en"))
        # Words both languages use (numbers, "programma"/"programme" share no form, but "eu", "lv" do)
        # carry no evidence.
        shared = lv_vocab & en_vocab
        self._lv = lv_vocab - shared
        self._en = en_vocab - shared

    def detect(self, text: str) -> str | None:
        script = script_of(text)
        if script is None:
            return None
        if script == "cyrillic":
            return "ru"
        if has_latvian_diacritics(text):
            return "lv"
        tokens = [token for token in words(text) if not token.isdigit()]
        lv_votes = sum(1 for token in tokens if token in self._lv)
        en_votes = sum(1 for token in tokens if token in self._en)
        if lv_votes == en_votes:
            return None
        return "lv" if lv_votes > en_votes else "en"
