"""Follow-up questions in context: "un cik projektu?", "а партнёров?", "tell me more", "in Russian please".

People talk to the bot as to a person: right after an answer they ask a short question that only makes sense
with that answer in mind. The context is the user's last answered question (the `questions` table: entry and
time), so it survives restarts, is shared by every bot process and disappears with /forget. It expires after
`FOLLOWUP_MINUTES`: an hour later "and the partners?" is a new conversation.

Three kinds of follow-up, checked in this order:

* **language** — "in Russian please", "latviski", "по-английски": the last answer again, in that language;
* **more** — "pastāsti vairāk", "tell me more", "подробнее": the entries related to the last answer;
* **elliptical** — a short question that leans on the previous one ("un partneri?", "а сколько проектов?",
  "and the budget?"), or any question the bot would otherwise only half-understand: the ranking is read
  again with the previous answer's neighbourhood (its related entries and its category) preferred.

No Telegram in here: the question use case (`bot.questions`) asks `answer_in_context()`; the handler renders it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from knowledge.loader import KnowledgeBase
from knowledge.schema import Entry
from knowledge.text import fold

from .nlu_client import IntentScore
from .qa import DECLINED, QAResult, QAService

# Recognised from the text alone; elliptical follow-ups need the model (`answer_in_context`).
FollowUpKind = Literal["language", "more"]

_LANGUAGE_WORDS: dict[str, re.Pattern[str]] = {
    "lv": re.compile(r"\b(?:latviski|latviesu valoda|uz latviesu|(?:in|into|to) latvian|по[- ]латышски|на латышск\w+)\b"),
    "en": re.compile(r"\b(?:angliski|anglu valoda|uz anglu|(?:in|into|to) english|по[- ]английски|на английск\w+)\b"),
    "ru": re.compile(r"\b(?:krieviski|krievu valoda|uz krievu|(?:in|into|to) russian|по[- ]русски|на русск\w+)\b"),
}
MAX_LANGUAGE_REQUEST_WORDS = 5  # "vai varat atbildēt krieviski?" yes; a long question that mentions English, no
_MORE = re.compile(
    r"^(?:(?:vai )?(?:pastasti|pastastiet|pastāsti|pastāstiet|saki|sakiet)? ?(?:vel |vēl )?(?:vairak|sikak|plasak)"
    r"|(?:tell me |can you tell me |say )?more(?: (?:about (?:it|this|that)|please|details))?"
    r"|(?:and )?what else"
    r"|(?:расскажи(?:те)? )?(?:подробнее|побольше|больше)(?: об этом| пожалуйста)?"
    r"|(?:a |а )?(?:что )?ещ[её]\??)\W*$"
)
# A short question that starts like a continuation: "un …", "a …", "а …", "и …", "and …", "what about …".
_CONTINUATION = re.compile(r"^(?:un|bet|a|а|и|но|and|also|what about|how about|а как же|un kā ar|un ka ar)\b")
MAX_ELLIPTICAL_WORDS = 6


@dataclass(frozen=True)
class Context:
    """The user's last answer, if it is recent enough to lean on."""

    entry: Entry
    language: str
    at: datetime

    def is_fresh(self, now: datetime, minutes: float) -> bool:
        return now - self.at <= timedelta(minutes=minutes)


@dataclass(frozen=True)
class FollowUp:
    kind: FollowUpKind
    language: str | None = None  # the requested language (kind "language")


def detect(text: str) -> FollowUp | None:
    """A language or "more" request, recognised from the text alone (no model needed)."""
    folded = fold(text).strip(" .!?")
    if len(folded) > 60:
        return None
    if len(folded.split()) <= MAX_LANGUAGE_REQUEST_WORDS:
        for language, pattern in _LANGUAGE_WORDS.items():
            if pattern.search(folded):
                return FollowUp("language", language)
    if _MORE.match(folded):
        return FollowUp("more")
    return None


def is_continuation(text: str) -> bool:
    folded = fold(text)
    return len(folded.split()) <= MAX_ELLIPTICAL_WORDS and bool(_CONTINUATION.match(folded))


def neighbourhood(kb: KnowledgeBase, entry: Entry) -> list[str]:
    """Entries a follow-up to `entry` most likely means: its related entries, then its category."""
    ids = [entry.id, *entry.related, *(other.id for other in kb.by_category(entry.category))]
    return list(dict.fromkeys(ids))


def rerank_in_context(
    kb: KnowledgeBase, ranking: list[IntentScore], context: Context, boost: float
) -> list[IntentScore]:
    """The ranking with the previous answer's neighbourhood lifted by `boost` (the previous entry itself not:
    a follow-up asks for something else). Out-of-scope and small talk keep their score: context never turns a
    question the knowledge base cannot answer into an answer."""
    near = set(neighbourhood(kb, context.entry)) - {context.entry.id}
    lifted = [IntentScore(s.intent, s.confidence + boost if s.intent in near else s.confidence) for s in ranking]
    return sorted(lifted, key=lambda score: -score.confidence)


CONTEXT_BOOST = 0.25  # how much a follow-up's neighbourhood is lifted; small enough that a clear new topic wins


async def answer_in_context(qa: QAService, text: str, fallback: str, context: Context | None) -> QAResult:
    """What to reply, reading `text` as a possible follow-up to `context` (None or expired: a plain question)."""
    if context is None:
        return await qa.ask(text, fallback)
    follow = detect(text)
    entry = context.entry
    if follow is not None and follow.kind == "language" and follow.language:
        return QAResult("answer", follow.language, "context", entry.id, 1.0, entry=entry)
    language = qa.language_of(text, context.language)
    if follow is not None and follow.kind == "more":
        related = tuple(e for e in (qa.kb.entry(i) for i in entry.related) if e is not None)
        if related:
            return QAResult("related", context.language, "context", entry.id, 1.0, suggestions=related)
    if is_continuation(text):  # "а в Риге?" after the number of projects: a detail it lacks
        missing = qa.kb.specifics.missing_for(text, entry.cannot_tell)
        if missing is not None:
            return QAResult("out_of_scope", language, "context", entry.id, 1.0, entry=entry, missing=missing)
    classification = await qa.classify_question(text, language)
    plain = qa.decide_question(text, language, classification)
    if plain.kind == "answer" and not is_continuation(text):
        return plain
    if plain.kind == "meta" or (plain.kind == "out_of_scope" and plain.intent in DECLINED
                                and plain.confidence >= 0.5):
        return plain
    engine, ranking = qa.combined(*classification.rankings[-1])  # the asking sentences, when the message has others
    lifted = rerank_in_context(qa.kb, ranking, context, CONTEXT_BOOST)
    in_context = qa.within_limits(qa.decide(lifted, engine, language), text)
    return in_context if in_context.kind == "answer" else plain
