"""The trivial baseline every NLU figure is printed beside: a character-trigram nearest neighbour.

It compares the question with every training example of the knowledge base (cosine of folded character
trigram counts) and always acts on its single nearest example: that example's intent is the answer, an
`out_of_scope` example means "decline". No thresholds, no model. If the bot does not beat this, the bot's
model and decision rules are throwing away knowledge that is already in the examples.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from bot.nlu_client import IntentScore
from knowledge.leaks import trigram_list
from knowledge.loader import KnowledgeBase


def trigram_counts(text: str) -> Counter[str]:
    return Counter(trigram_list(text))


class TrigramNearestNeighbour:
    def __init__(self, kb: KnowledgeBase) -> None:
        self._owners: list[str] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for intent in kb.intents:
            for _, text in kb.examples(intent):
                number = len(self._owners)
                self._owners.append(intent)
                for gram, weight in self._normalised(trigram_counts(text)).items():
                    self._postings[gram].append((number, weight))

    @staticmethod
    def _normalised(counts: Counter[str]) -> dict[str, float]:
        norm = math.sqrt(sum(value * value for value in counts.values())) or 1.0
        return {gram: value / norm for gram, value in counts.items()}

    def rank(self, text: str, limit: int = 10) -> list[IntentScore]:
        """Intents by the similarity of their nearest example, best first."""
        scores: dict[int, float] = defaultdict(float)
        for gram, weight in self._normalised(trigram_counts(text)).items():
            for number, other in self._postings.get(gram, ()):
                scores[number] += weight * other
        best: dict[str, float] = {}
        for number, value in scores.items():
            intent = self._owners[number]
            best[intent] = max(best.get(intent, 0.0), value)
        ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)[:limit]
        return [IntentScore(intent, round(value, 4)) for intent, value in ranked]
