"""A whitespace tokenizer that also gives every token its stem, so inflected forms meet.

Latvian and Russian inflect heavily: "budžets", "budžetu", "budžetā" or "бюджет", "бюджета", "бюджетом" are
one word to an applicant but different tokens to a bag-of-words model. This tokenizer keeps each token's text
(for the character n-gram featurizer, `use_lemma: false`) and sets its lemma to a folded stem (for the word
featurizer, which counts lemmas by default): Cyrillic words through the Snowball Russian stemmer (PyStemmer),
Latin-script words through a light Latvian stemmer (`LatvianStemmer`; it also strips the plural "s" of most
English words), then lower-cased with Latvian diacritics removed so typing without them meets the same stem.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def fold(word: str) -> str:
    """Lower case without Latin diacritics (Cyrillic letters are kept as they are, except ё → е)."""
    out = []
    for char in unicodedata.normalize("NFD", word.casefold()):
        if unicodedata.combining(char) and not (out and _CYRILLIC.match(out[-1])):
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out)).replace("ё", "е")


@lru_cache(maxsize=1)
def _russian():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("russian")


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    lowered = word.casefold()
    if _CYRILLIC.search(lowered):
        return fold(_russian().stemWord(lowered))
    import LatvianStemmer

    return fold(LatvianStemmer.stem(lowered)) or fold(lowered)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class StemmingTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer + `token.lemma` = folded stem."""

    @staticmethod
    def required_packages() -> list[str]:
        # Rasa checks these both as import names and as distribution names: PyStemmer (imported as `Stemmer`)
        # cannot be listed; it is pinned in nlu/requirements.txt beside LatvianStemmer.
        return ["LatvianStemmer"]

    @staticmethod
    def not_supported_languages() -> list[str] | None:
        return None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return WhitespaceTokenizer.get_default_config()

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = stem(token.text)
        return tokens
