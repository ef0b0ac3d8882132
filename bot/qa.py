"""Question answering: from a user's text to what the bot should reply — with no Telegram in sight.

The decision is the same whichever engine classified the question (Rasa, or the lexical matcher when
Rasa is unavailable); only the thresholds differ, because the two engines' scores are on different scales:

* a knowledge-base entry whose score is ≥ the answer threshold **and** leads the runner-up by ≥ the margin
  → answer it (a high score shared with a close second means the model cannot tell two entries apart);
* a meta intent (greet, thanks, …) ≥ answer threshold → the matching conversational reply;
* `out_of_scope` ≥ answer threshold → say honestly it is not covered, offer a human; the same when
  `out_of_scope` is the best guess at all (offering entries ranked below it would only mislead);
* an answer with a weak Rasa score (< `support_below`) whose entry shares no words with the question (the
  lexical matcher) → not covered: a model that must pick among 36 entries gives an off-topic question one of them;
* otherwise up to 3 knowledge-base entries above the suggest threshold → "did you mean";
* nothing worth suggesting → not covered, offer a human;
* an answer whose entry cannot give the detail asked for ("how many projects *in Latgale*": the knowledge base
  has only the total; `cannot_tell` in the entry, `knowledge/specifics.py`) → not covered either, with the entry
  shown as the overall context.

While Rasa answers, its ranking is blended with the in-process lexical matcher's (`lexical_weight`): the two
make different mistakes (the model generalises over character n-grams and stems, the matcher rewards exact
content words), and the blend was measured better than either (docs/nlu-pipeline.md). Off-topic small talk is
declined like any other out-of-scope question, but without the offer to pass it to staff.

It never makes up an answer: every answer is an entry's text, written and reviewed in the knowledge base.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, Protocol

from knowledge.figures import Figures
from knowledge.language import LanguageDetector
from knowledge.loader import KnowledgeBase
from knowledge.matcher import LexicalMatcher
from knowledge.schema import Entry
from knowledge.text import asking_part, fold, words

from .nlu_client import IntentScore, NluResult, NluUnavailable

if TYPE_CHECKING:
    from .config import Settings

log = logging.getLogger(__name__)

Kind = Literal["answer", "clarify", "out_of_scope", "meta", "related"]
Engine = Literal["rasa", "lexical", "context"]
MAX_SUGGESTIONS = 3
# The matcher is cheap but grows with the text; a question longer than this is cut before matching.
MAX_TEXT_FOR_MATCHER = 500
# An answer this confident stands without classifying the asking sentences alone: on the evaluation sets, checking
# them for surer answers too changed nothing and cost a second parse for 1 message in 6 instead of 1 in 20.
SURE_ANSWER = 0.7
# Where a message full of introduction lands however sure the model is ("I'm a curator preparing a panel on Baltic
# civil society. How much money did this cohesion programme have?" → the overview, 0.72): its asking sentences alone
# decide whether the overview or something narrower was asked.
INTRODUCTION_MAGNET = "programme_overview"
# Asking sentences shorter than this ("Results?") say too little without the rest of the message.
MIN_FOCUS_WORDS = 3
# Asking sentences with fewer words than this share of the message leave it mostly introduction.
MOSTLY_INTRODUCTION = 0.5
LONG_MESSAGE_WORDS = 20  # … in a message at least this long


QAProvider = Callable[[], "QAService"]  # the current QAService: replaced whole when the knowledge base reloads


class NluClient(Protocol):
    """What QA needs from an NLU engine (the Rasa HTTP client, or a fake in tests)."""

    async def parse(self, text: str, again: bool = False) -> NluResult: ...


@dataclass(frozen=True)
class Thresholds:
    answer: float
    suggest: float
    margin: float = 0.0
    # Answers below this score need the lexical matcher's support (LEXICAL_SUPPORT) for the same entry.
    support_below: float = 0.0


# The matcher's similarity that counts as "the question shares words with this entry's examples".
LEXICAL_SUPPORT = 0.1


DECLINED = ("out_of_scope", "smalltalk")
HUMAN_HANDOFF = "human_handoff"
APPLYING_NOW = "apply"  # the specifics kind for calls, deadlines and eligibility today
# What a request for a person may ask that the bot declines in substance (with the offer to pass it to staff):
# applying now, a call back, a document sent.
HANDOFF_DECLINED = (APPLYING_NOW, "contacts", "documents")

# A request to translate something: the bot is no translator, whatever programme words the text to translate has
# ("Translate 'social cohesion' into Italian", "iztulko uz vāciski …"). Off-topic, so no hand-off to staff either.
# After an answer, "in Russian please" / "krieviski" is a follow-up (bot/followup.py), recognised before this.
_TRANSLATION_REQUEST = re.compile(
    r"\b(translate|translation|(iz|par)?tulko(t|jiet|jat|si|siet)?|tulkojum\w*|переведи\w*|перевести|перевод\w*)\b"
)

Classified = tuple[list[IntentScore] | None, list[IntentScore]]  # (Rasa's ranking or None, the matcher's)


@dataclass(frozen=True)
class QAResult:
    kind: Kind
    language: str
    engine: Engine
    intent: str | None
    confidence: float
    entry: Entry | None = None
    suggestions: tuple[Entry, ...] = field(default_factory=tuple)
    # A decline because the question asks for a detail `entry` cannot give (a kind from specifics.yaml).
    missing: str | None = None

    @property
    def outcome(self) -> str:
        """What is logged for staff: the meta intent name, or the kind."""
        return self.intent if self.kind == "meta" and self.intent else self.kind


@dataclass(frozen=True)
class Classification:
    """A message's rankings — of the whole, then of its asking sentences when `QAService.wants_focus` asked for
    them — and the decision on the whole, which choosing whether to classify the sentences needed already and the
    final decision needs again."""

    whole: QAResult
    rankings: list[Classified]


class QAService:
    def __init__(
        self,
        kb: KnowledgeBase,
        nlu: NluClient | None,
        matcher: LexicalMatcher,
        detector: LanguageDetector,
        rasa_thresholds: Thresholds,
        lexical_thresholds: Thresholds,
        lexical_weight: float = 0.0,
    ) -> None:
        self.kb = kb
        self._lexical_weight = lexical_weight
        self._nlu = nlu
        self._matcher = matcher
        self._detector = detector
        self._thresholds = {"rasa": rasa_thresholds, "lexical": lexical_thresholds, "context": rasa_thresholds}
        self._figures = Figures.of_entries(kb.entries)

    @classmethod
    def from_settings(cls, kb: KnowledgeBase, nlu: NluClient | None, matcher: LexicalMatcher,
                      detector: LanguageDetector, settings: Settings) -> QAService:
        return cls(
            kb, nlu, matcher, detector,
            Thresholds(settings.nlu_answer_threshold, settings.nlu_suggest_threshold, settings.nlu_answer_margin,
                       settings.nlu_support_below),
            Thresholds(settings.lexical_answer_threshold, settings.lexical_suggest_threshold,
                       settings.lexical_answer_margin),
            lexical_weight=settings.nlu_lexical_weight,
        )

    def with_knowledge(self, kb: KnowledgeBase, matcher: LexicalMatcher, detector: LanguageDetector) -> QAService:
        """The same engine, thresholds and NLU client over another knowledge base (a reload after staff taught)."""
        clone = copy.copy(self)
        clone.kb, clone._matcher, clone._detector = kb, matcher, detector
        return clone

    def language_of(self, text: str, fallback: str) -> str:
        return self._detector.detect(text) or fallback

    def lexical_rank(self, text: str) -> list[IntentScore]:
        return [IntentScore(c.intent, c.score) for c in self._matcher.rank(text[:MAX_TEXT_FOR_MATCHER])]

    async def classify(self, text: str, again: bool = False) -> tuple[list[IntentScore] | None, list[IntentScore]]:
        """(Rasa's ranking, or None when Rasa is unavailable; the lexical matcher's ranking). `again`: a second
        classification of one message, which does not queue behind other messages' first ones."""
        nlu: list[IntentScore] | None = None
        if self._nlu is not None:
            with contextlib.suppress(NluUnavailable):  # the client logged the outage once; use the matcher
                nlu = list((await self._nlu.parse(text, again=again)).ranking)
        return nlu, self.lexical_rank(text)

    async def rank(self, text: str) -> list[IntentScore]:
        """The ranking the bot decides on (blended while Rasa answers, the matcher's otherwise)."""
        return self.combined(*await self.classify(text))[1]

    async def ask(self, text: str, fallback_language: str) -> QAResult:
        language = self.language_of(text, fallback_language)
        return self.decide_question(text, language, await self.classify_question(text, language))

    def question_texts(self, text: str) -> tuple[str, ...]:
        """What is classified for a message: the message, and its asking sentences alone when it has others
        around them (a greeting, thanks, who the asker is) — with typing slips corrected (knowledge/spelling.py)."""
        text = self._matcher.spelling.correct(text)
        focus = asking_part(text, at_dashes=False)
        return (text,) if focus == text or len(words(focus)) < MIN_FOCUS_WORDS else (text, focus)

    async def classify_question(self, text: str, language: str) -> Classification:
        """`classify` of the message, then of its asking sentences alone if they could change the decision
        (`wants_focus`): one parse for most messages; two for an unsure one with sentences around its question, or a
        long one that is mostly introduction (8 % of the evaluation sets' questions; 40 of the 463 of
        `make bench-load`'s). The second one goes ahead of other messages' first parses."""
        parts = self.question_texts(text)
        classified = [await self.classify(parts[0])]
        whole = self.decide_from(*classified[0], language, text)
        if self.wants_focus(parts, whole):
            classified.append(await self.classify(parts[1], again=True))
        return Classification(whole, classified)

    @staticmethod
    def wants_focus(parts: tuple[str, ...], whole: QAResult) -> bool:
        """Whether the asking sentences alone (`parts[1]`, if any) are worth classifying after the whole message
        gave `whole`: unless the whole gives a sure answer — and even then when the introduction is most of the
        message, where it can carry a classifier off ("I sit on a town council, and I keep hearing that NGO
        projects never reach … Did the programme have any effect on how public policy gets planned?")."""
        if len(parts) < 2:
            return False
        whole_words = len(words(parts[0]))
        mostly_introduction = whole_words >= LONG_MESSAGE_WORDS and len(words(parts[1])) < MOSTLY_INTRODUCTION * whole_words
        return (not (whole.kind == "answer" and whole.confidence >= SURE_ANSWER) or whole.intent == INTRODUCTION_MAGNET
                or mostly_introduction)

    def decide_question(self, text: str, language: str, classification: Classification) -> QAResult:
        """The decision for a message from the classification of the whole and, when `wants_focus` asked for it,
        of its asking sentences — unless it asks what one of the presentation's figures is ("What are the 66?"),
        which the entry stating that figure answers (knowledge/figures.py), within that entry's limits."""
        result = self._decided(text, language, classification)
        figure_entry = self._figures.asked_about(text)
        answered_so = result.kind == "answer" and result.intent == figure_entry
        # a detail declined, a greeting or a hand-off stays as it is
        settled = result.missing is not None or result.kind not in ("answer", "clarify", "out_of_scope")
        if figure_entry is None or answered_so or settled:
            return result
        entry = self.kb.entry(figure_entry)
        return self.within_limits(QAResult("answer", language, result.engine, figure_entry, 1.0, entry=entry), text)

    def _decided(self, text: str, language: str, classification: Classification) -> QAResult:
        """The asking sentences win when they give an answer and the whole does not, or a more confident one:
        "Labdien! Esmu bibliotekāre Rēzeknē, gatavoju stendu. Kurā gadā programma sākās? Paldies!" is about the
        period, however much of the message is about the library. What the question asks for (`within_limits`)
        is read from the whole message either way."""
        whole = classification.whole
        if _TRANSLATION_REQUEST.search(fold(text)):
            return QAResult("out_of_scope", language, whole.engine, "smalltalk", 1.0)
        if len(classification.rankings) < 2:
            return whole
        focus = self.decide_from(*classification.rankings[1], language, text)
        if focus.engine != whole.engine:  # the NLU answered one and not the other: scores on different scales
            return whole
        if focus.kind == "answer" and (whole.kind != "answer" or focus.confidence > whole.confidence
                                       or whole.intent == INTRODUCTION_MAGNET != focus.intent):
            return focus
        return whole

    def blend(self, nlu: list[IntentScore], lexical: list[IntentScore]) -> list[IntentScore]:
        """Rasa's probabilities blended with the matcher's similarities, best first."""
        weight = self._lexical_weight
        if weight <= 0:
            return nlu
        scores: dict[str, float] = {}
        for score in nlu:
            scores[score.intent] = (1 - weight) * score.confidence
        for score in lexical:
            scores[score.intent] = scores.get(score.intent, 0.0) + weight * score.confidence
        return [IntentScore(intent, value) for intent, value in sorted(scores.items(), key=lambda kv: -kv[1])]

    def combined(
        self, nlu: list[IntentScore] | None, lexical: list[IntentScore]
    ) -> tuple[Engine, list[IntentScore]]:
        """The engine and the ranking the bot decides on: Rasa's blended with the matcher's, or the matcher's
        alone while Rasa is unavailable."""
        return ("lexical", lexical) if nlu is None else ("rasa", self.blend(nlu, lexical))

    def decide_from(
        self, nlu: list[IntentScore] | None, lexical: list[IntentScore], language: str, text: str
    ) -> QAResult:
        """The decision from Rasa's ranking blended with the matcher's, or from the matcher's alone."""
        engine, ranking = self.combined(nlu, lexical)
        result = self.decide(ranking, engine, language)
        if engine == "rasa" and not self._supported(result, lexical):
            return QAResult("out_of_scope", language, engine, result.intent, result.confidence)
        return self.within_limits(result, text)

    def _supported(self, result: QAResult, lexical: list[IntentScore]) -> bool:
        """A weak answer stands only if the question shares words with the entry's examples."""
        if result.kind != "answer" or result.confidence >= self._thresholds["rasa"].support_below:
            return True
        return any(score.intent == result.intent and score.confidence >= LEXICAL_SUPPORT for score in lexical)

    def within_limits(self, result: QAResult, text: str) -> QAResult:
        """An answer whose entry cannot give the detail the question asks for becomes a decline that keeps
        the entry as context ("170 projects in total; the presentation has no figures by region")."""
        several = self._several_figures(result, text)
        if several is not None:
            return several
        if result.kind == "clarify":
            # "Did you mean" is worth asking only if one of the entries offered could give what is asked.
            missing_in_all = [self.kb.specifics.missing_for(text, entry.cannot_tell) for entry in result.suggestions]
            if missing_in_all and all(missing_in_all):
                return replace(result, kind="out_of_scope", entry=result.suggestions[0], suggestions=(),
                               missing=missing_in_all[0])
            return result
        if result.kind == "meta" and result.intent == HUMAN_HANDOFF:
            # "Could our club get funding for …?" is a question about applying now, not a request for a person
            # (the model can take an asker's introduction for one); "Call me back tomorrow", "send me the
            # presentation" ask for what the bot cannot do: declined, and the decline offers staff too.
            applying = self.kb.specifics.asked(text, HANDOFF_DECLINED)
            return result if applying is None else replace(result, kind="out_of_scope", missing=applying)
        if result.kind != "answer" or result.entry is None:
            return result
        missing = self.kb.specifics.missing_for(text, result.entry.cannot_tell)
        return result if missing is None else replace(result, kind="out_of_scope", missing=missing)

    def _several_figures(self, result: QAResult, text: str) -> QAResult | None:
        """The overview's answer for a question about the programme that asks for several of the figures it gives
        together ("cik ilgi, cik naudas, cik cilvēku?"): each fact entry gives one and would decline the question
        as asking for two figures. None when the question is not such, or not about the programme (a decline or a
        meta intent stays as it is); still declined when it also asks a detail neither entry gives ("… in Latgale")."""
        specifics = self.kb.specifics
        overview = self.kb.entry(specifics.several_figures_entry or "")
        if overview is None or result.kind not in ("answer", "clarify") or not specifics.asks_several_figures(text):
            return None
        asked_of = (result.entry,) if result.entry is not None else result.suggestions
        cannot_tell = {kind for entry in (overview, *asked_of) if entry is not None for kind in entry.cannot_tell}
        cannot_tell.difference_update(specifics.several_figures_gives)
        missing = specifics.missing_for(text, cannot_tell)
        return replace(result, kind="answer" if missing is None else "out_of_scope", intent=overview.id, entry=overview,
                       suggestions=(), missing=missing)

    def decide(self, ranking: list[IntentScore], engine: Engine, language: str) -> QAResult:
        thresholds = self._thresholds[engine]
        known = [score for score in ranking if score.intent in self.kb.entries or score.intent in self.kb.meta]
        top = known[0] if known else None
        runner_up = known[1].confidence if len(known) > 1 else 0.0
        if top is not None and top.confidence >= thresholds.answer and top.confidence - runner_up >= thresholds.margin:
            entry = self.kb.entry(top.intent)
            if entry is not None:
                return QAResult("answer", language, engine, top.intent, top.confidence, entry=entry)
            if top.intent in DECLINED:
                return QAResult("out_of_scope", language, engine, top.intent, top.confidence)
            return QAResult("meta", language, engine, top.intent, top.confidence)
        suggestions = tuple(
            entry
            for score in known
            if score.confidence >= thresholds.suggest and (entry := self.kb.entry(score.intent)) is not None
        )[:MAX_SUGGESTIONS]
        intent = top.intent if top else None
        confidence = top.confidence if top else 0.0
        if top is not None and top.intent in DECLINED:
            # The model's best guess is "not about the programme": offering entries it ranked lower would only
            # send the asker to answers that do not fit ("a good pizzeria in Old Riga?" → "did you mean results?").
            return QAResult("out_of_scope", language, engine, intent, confidence)
        if suggestions:
            return QAResult("clarify", language, engine, intent, confidence, suggestions=suggestions)
        return QAResult("out_of_scope", language, engine, intent, confidence)
