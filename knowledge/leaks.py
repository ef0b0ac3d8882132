"""Is an evaluation question really new? The leak check between training examples and evaluation sets.

An evaluation set only measures understanding if none of its questions is a training example in disguise.
Two texts count as the same question when they are equal after folding case, Latvian diacritics, ё→е and
punctuation **and sorting the words** ("budžets programmas cik" = "cik programmas budzets"), or when their
character trigrams overlap with a Jaccard index of at least 0.8 (one word added, removed or misspelt).
The same check guards both directions: the loader refuses a leaked evaluation item, and the staff
knowledge-base editor refuses a new training example that is a twin of an evaluation item.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from .text import words

JACCARD_LIMIT = 0.8


def folded_words(text: str) -> list[str]:
    """Folded words with ё written as е (Russian writers use both)."""
    return [word.replace("ё", "е") for word in words(text)]


def order_free_key(text: str) -> str:
    """Folded words in sorted order: equal keys are the same question up to word order and punctuation."""
    return " ".join(sorted(folded_words(text)))


def trigram_list(text: str) -> list[str]:
    """Character trigrams of the folded words, in order, repeats kept (a space at each word boundary)."""
    joined = f" {' '.join(folded_words(text))} "
    return [joined[i : i + 3] for i in range(max(1, len(joined) - 2))]


def trigrams(text: str) -> frozenset[str]:
    """The set of character trigrams of the folded words."""
    return frozenset(trigram_list(text))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


class LeakIndex:
    """Training (or evaluation) texts indexed for fast twin look-ups (an inverted trigram index)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self._texts: list[str] = []
        self._grams: list[frozenset[str]] = []
        self._keys: dict[str, str] = {}
        self._postings: dict[str, list[int]] = defaultdict(list)
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        number = len(self._texts)
        grams = trigrams(text)
        self._texts.append(text)
        self._grams.append(grams)
        self._keys.setdefault(order_free_key(text), text)
        for gram in grams:
            self._postings[gram].append(number)

    def twin_of(self, text: str) -> str | None:
        """The indexed text that `text` duplicates (see the module docstring), or None."""
        same = self._keys.get(order_free_key(text))
        if same is not None:
            return same
        grams = trigrams(text)
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self._postings.get(gram, ()))
        for number, common in shared.most_common():
            union = len(grams) + len(self._grams[number]) - common
            if union and common / union >= JACCARD_LIMIT:
                return self._texts[number]
            if common / max(len(grams), 1) < JACCARD_LIMIT:
                break  # counts only fall from here: no later candidate can reach the limit
        return None
