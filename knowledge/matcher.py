"""In-process lexical matcher over the knowledge base: the bot's answer engine when Rasa is down.

It needs no model and starts in well under a second, so the assistant never goes silent. Method:
word tokens as spaCy's blank tokenizers cut them (knowledge/tokens.py, without loading spaCy) → folded (lower case, no
diacritics) → stop words of lv/en/ru dropped → features = the token's 5-letter prefix (a crude stemmer
that copes with Latvian and Russian endings: "budžets", "budžetu", "budzeta" share "budze") plus
character 4-grams (typos) → TF-IDF → cosine similarity to every example question. An intent scores the
best similarity of its examples. Scores are comparable only with this matcher's own threshold.

The index is kept as one numpy array of documents and weights per feature: a query adds a few dozen arrays
instead of looping over thousands of postings in Python (≈ 0.3 ms instead of ≈ 1.8 ms a question — the
matcher answers every question while the NLU is down). Equal scores are ordered by intent name.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from .loader import KnowledgeBase
from .spelling import SpellingCorrector
from .text import LATIN_LETTER_COPIES, latin_letter_copy
from .tokens import stop_words
from .tokens import tokens as word_tokens

STEM_LENGTH = 5
CHAR_NGRAM = 4
CHAR_NGRAM_WEIGHT = 0.35


@dataclass(frozen=True)
class Candidate:
    intent: str
    score: float


_STOP_WORDS = stop_words("lv") | stop_words("en") | stop_words("ru")


def features(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()  # float weights (Counter is typed with int counts)
    tokens = word_tokens(text)
    content = [token for token in tokens if token not in _STOP_WORDS] or tokens
    for token in content:
        counts["w:" + token[:STEM_LENGTH]] += 1.0  # type: ignore[assignment]
        padded = f" {token} "
        for start in range(max(1, len(padded) - CHAR_NGRAM + 1)):
            counts["c:" + padded[start : start + CHAR_NGRAM]] += CHAR_NGRAM_WEIGHT  # type: ignore[assignment]
    return counts


class LexicalMatcher:
    def __init__(self, kb: KnowledgeBase) -> None:
        documents: list[tuple[str, Counter[str]]] = []
        for intent in kb.intents:
            russian = [text for language, text in kb.examples(intent) if language == "ru"][:LATIN_LETTER_COPIES]
            entry = kb.entry(intent)
            if entry is not None:  # titles are good, short descriptions of an entry too
                russian.insert(0, entry.title.ru)
                for language in ("lv", "en", "ru"):
                    documents.append((intent, features(entry.title.get(language))))
            for _, text in kb.examples(intent):
                documents.append((intent, features(text)))
            # Russian typed in Latin letters ("kakie byli napravlenija"): the title and the first examples, in the
            # spellings the NLU training data has (`latin_letter_copy`)
            for number, text in enumerate(russian):
                documents.append((intent, features(latin_letter_copy(text, number))))
        # the words a slip is corrected towards: every example, title and answer (knowledge/spelling.py)
        self.spelling = SpellingCorrector(
            [text for intent in kb.intents for _, text in kb.examples(intent)]
            + [text for entry in kb.entries.values() for localized in (entry.title, entry.answer)
               for text in (localized.lv, localized.en, localized.ru)]
        )
        document_frequency: Counter[str] = Counter()
        for _, counts in documents:
            document_frequency.update(counts.keys())
        total = len(documents)
        self._idf = {feature: math.log((1 + total) / (1 + df)) + 1.0 for feature, df in document_frequency.items()}
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        owners: list[str] = []
        for number, (intent, counts) in enumerate(documents):
            vector = self._weigh(counts)
            owners.append(intent)
            for feature, weight in vector.items():
                postings[feature].append((number, weight))
        self._documents = len(owners)
        self._intents = sorted(set(owners))
        numbers = {intent: n for n, intent in enumerate(self._intents)}
        self._owner = np.array([numbers[intent] for intent in owners], dtype=np.intp)
        self._index: dict[str, tuple[np.ndarray, np.ndarray]] = {
            feature: (np.array([n for n, _ in items], dtype=np.intp), np.array([w for _, w in items], dtype=np.float64))
            for feature, items in postings.items()
        }

    def _weigh(self, counts: Counter[str]) -> dict[str, float]:
        vector = {
            feature: (1.0 + math.log(count) if count > 1 else count) * self._idf.get(feature, 0.0)
            for feature, count in counts.items()
        }
        norm = math.sqrt(sum(weight * weight for weight in vector.values())) or 1.0
        return {feature: weight / norm for feature, weight in vector.items() if weight}

    def rank(self, text: str, limit: int = 10) -> list[Candidate]:
        """Intents ordered by similarity, best first; empty when nothing overlaps at all."""
        query = self._weigh(features(text))
        scores = np.zeros(self._documents)
        for feature, weight in query.items():
            found = self._index.get(feature)
            if found is not None:
                numbers, doc_weights = found  # each document once per feature: a plain += is right
                scores[numbers] += weight * doc_weights
        best = np.zeros(len(self._intents))
        np.maximum.at(best, self._owner, scores)  # an intent scores its best document
        order = np.argsort(-best, kind="stable")[:limit]
        return [Candidate(self._intents[n], round(min(float(best[n]), 1.0), 4)) for n in order if best[n] > 0.0]
