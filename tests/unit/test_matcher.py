"""The lexical matcher (the answer engine when Rasa is down) on real applicant phrasing."""

from __future__ import annotations

import pytest

from knowledge.matcher import LexicalMatcher


@pytest.fixture(scope="module")
def matcher(kb):
    return LexicalMatcher(kb)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("cik liels bija programmas budžets?", "fact_budget"),
        ("kads bija programmas budzets", "fact_budget"),
        ("What was the programme's budget?", "fact_budget"),
        ("Какой был бюджет программы?", "fact_budget"),
        ("cik dalibnieku piedalijas", "fact_participants"),
        ("how many partners did the programme work with", "fact_partners"),
        ("Mēs esam lieli tik, cik mūsu griba", "closing_quote"),
    ],
)
def test_ranks_the_right_entry_first(matcher, text, intent):
    ranking = matcher.rank(text)
    assert ranking and ranking[0].intent == intent


def test_scores_are_sorted_and_bounded(matcher):
    ranking = matcher.rank("rezultāti kopienām un organizācijām")
    scores = [candidate.score for candidate in ranking]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)


def test_gibberish_matches_nothing_strongly(matcher):
    ranking = matcher.rank("qwzx vbnm")
    assert not ranking or ranking[0].score < 0.3


def test_survives_odd_input(matcher):
    assert matcher.rank("") == []
    assert matcher.rank("!!! ??? ...") == []
    matcher.rank("budžets " * 2000)  # very long text: no error
