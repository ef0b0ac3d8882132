"""Follow-up detection and re-ranking in context (bot/followup.py), without Telegram."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.followup import Context, detect, is_continuation, neighbourhood, rerank_in_context
from bot.nlu_client import IntentScore


@pytest.mark.parametrize(
    ("text", "kind", "language"),
    [
        ("in Russian please", "language", "ru"),
        ("krieviski lūdzu", "language", "ru"),
        ("А можно по-английски?", "language", "en"),
        ("latviski", "language", "lv"),
        ("translate it into Russian", "language", "ru"),  # after an answer: the answer in Russian
        ("pārtulko uz krievu valodu", "language", "ru"),
        ("переведите на английский", "language", "en"),
        ("pastāsti vairāk", "more", None),
        ("pastasti vel vairak", "more", None),
        ("Tell me more", "more", None),
        ("подробнее", "more", None),
        ("а что ещё?", "more", None),
    ],
)
def test_language_and_more_requests_are_recognised(text, kind, language):
    follow = detect(text)
    assert follow is not None and (follow.kind, follow.language) == (kind, language)


@pytest.mark.parametrize("text", ["cik liels bija budžets?", "What were the results in English lessons at schools "
                                  "for teachers and pupils?", "more money for culture next year?", "Labdien"])
def test_ordinary_questions_are_not_follow_up_requests(text):
    assert detect(text) is None


def test_short_questions_that_continue_are_elliptical():
    assert is_continuation("un cik projektu?")
    assert is_continuation("а партнёров?")
    assert is_continuation("and who were the partners?")
    assert not is_continuation("cik projektu tika īstenots programmas laikā kopumā, vai zināt?")


def test_context_lifts_the_previous_answers_neighbourhood_but_never_out_of_scope(kb):
    context = Context(kb.entry("fact_budget"), "lv", datetime.now(UTC))
    assert "fact_projects" in neighbourhood(kb, context.entry)
    ranking = [IntentScore("out_of_scope", 0.4), IntentScore("results_art", 0.3), IntentScore("fact_projects", 0.25)]
    lifted = rerank_in_context(kb, ranking, context, boost=0.3)
    assert lifted[0].intent == "fact_projects"
    assert [s.confidence for s in lifted if s.intent == "out_of_scope"] == [0.4]


def test_context_expires():
    now = datetime.now(UTC)
    context = Context.__new__(Context)
    object.__setattr__(context, "at", now - timedelta(minutes=11))
    assert not context.is_fresh(now, minutes=10)
    assert context.is_fresh(now - timedelta(minutes=2), minutes=10)
