"""Question answering: from a user's text to what the bot should reply — with no Telegram in sight.

The decision is the same whichever engine classified the question (Rasa, or the lexical matcher when
Rasa is unavailable); only the thresholds differ, because the two engines' scores are on different scales:

* a knowledge-base entry with confidence ≥ answer threshold → answer it;
* a meta intent (greet, thanks, …) ≥ answer threshold → the matching conversational reply;
* `out_of_scope` ≥ answer threshold → say honestly it is not covered, offer a human;
* otherwise up to 3 knowledge-base entries above the suggest threshold → "did you mean";
* nothing worth suggesting → not covered, offer a human.

It never makes up an answer: every answer is an entry's text, written and reviewed in the knowledge base.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal, Protocol

from knowledge.language import LanguageDetector
from knowledge.loader import KnowledgeBase
from knowledge.matcher import LexicalMatcher
from knowledge.schema import Entry

from .nlu_client import IntentScore, NluResult, NluUnavailable

log = logging.getLogger(__name__)

Kind = Literal["answer", "clarify", "out_of_scope", "meta"]
Engine = Literal["rasa", "lexical"]
MAX_SUGGESTIONS = 3


class NluClient(Protocol):
    """What QA needs from an NLU engine (the Rasa HTTP client, or a fake in tests)."""

    async def parse(self, text: str) -> NluResult: ...


@dataclass(frozen=True)
class Thresholds:
    answer: float
    suggest: float


@dataclass(frozen=True)
class QAResult:
    kind: Kind
    language: str
    engine: Engine
    intent: str | None
    confidence: float
    entry: Entry | None = None
    suggestions: tuple[Entry, ...] = field(default_factory=tuple)

    @property
    def outcome(self) -> str:
        """What is logged for staff: the meta intent name, or the kind."""
        return self.intent if self.kind == "meta" and self.intent else self.kind


class QAService:
    def __init__(
        self,
        kb: KnowledgeBase,
        nlu: NluClient | None,
        matcher: LexicalMatcher,
        detector: LanguageDetector,
        rasa_thresholds: Thresholds,
        lexical_thresholds: Thresholds,
    ) -> None:
        self.kb = kb
        self._nlu = nlu
        self._matcher = matcher
        self._detector = detector
        self._thresholds = {"rasa": rasa_thresholds, "lexical": lexical_thresholds}

    def language_of(self, text: str, fallback: str) -> str:
        return self._detector.detect(text) or fallback

    async def classify(self, text: str) -> tuple[Engine, list[IntentScore]]:
        """The intent ranking, from Rasa when it answers, else from the lexical matcher."""
        if self._nlu is not None:
            try:
                result = await self._nlu.parse(text)
                return "rasa", list(result.ranking)
            except NluUnavailable:
                pass  # the client logged the change of state once; answer from the matcher
        return "lexical", [IntentScore(c.intent, c.score) for c in self._matcher.rank(text)]

    async def ask(self, text: str, fallback_language: str) -> QAResult:
        language = self.language_of(text, fallback_language)
        engine, ranking = await self.classify(text)
        return self.decide(ranking, engine, language)

    def decide(self, ranking: list[IntentScore], engine: Engine, language: str) -> QAResult:
        thresholds = self._thresholds[engine]
        known = [score for score in ranking if score.intent in self.kb.entries or score.intent in self.kb.meta]
        top = known[0] if known else None
        if top is not None and top.confidence >= thresholds.answer:
            entry = self.kb.entry(top.intent)
            if entry is not None:
                return QAResult("answer", language, engine, top.intent, top.confidence, entry=entry)
            if top.intent == "out_of_scope":
                return QAResult("out_of_scope", language, engine, top.intent, top.confidence)
            return QAResult("meta", language, engine, top.intent, top.confidence)
        suggestions = tuple(
            entry
            for score in known
            if score.confidence >= thresholds.suggest and (entry := self.kb.entry(score.intent)) is not None
        )[:MAX_SUGGESTIONS]
        intent = top.intent if top else None
        confidence = top.confidence if top else 0.0
        if suggestions:
            return QAResult("clarify", language, engine, intent, confidence, suggestions=suggestions)
        return QAResult("out_of_scope", language, engine, intent, confidence)
