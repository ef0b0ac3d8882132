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
        # Russian typed in Latin letters meets the entries' titles and first examples copied so
        ("kakie napravlenija dejatelnosti", "areas_overview"),
        ("kakoj byl bjudzhet programmy", "fact_budget"),
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


def test_the_vectorised_ranking_scores_as_the_plain_cosine_similarity_does(kb, matcher):
    """The numpy index (knowledge/matcher.py) against the definition: the cosine of TF-IDF vectors, an intent's
    best document — recomputed here the slow way over every document."""
    from pathlib import Path

    from knowledge.loader import load_heldout
    from knowledge.matcher import features

    documents = [(intent, features(text)) for intent in kb.intents for _, text in kb.examples(intent)]
    documents += [(intent, features(kb.entry(intent).title.get(language)))
                  for intent in kb.intents if kb.entry(intent) is not None for language in ("lv", "en", "ru")]
    vectors = [(intent, matcher._weigh(counts)) for intent, counts in documents]
    texts = [item.text for item in load_heldout(Path(__file__).parents[2] / "knowledge" / "eval" / "independent.yaml")]
    for text in texts[::10]:
        query = matcher._weigh(features(text))
        best: dict[str, float] = {}
        for intent, vector in vectors:
            score = sum(weight * vector.get(feature, 0.0) for feature, weight in query.items())
            best[intent] = max(best.get(intent, 0.0), score)
        expected = sorted(((intent, round(min(score, 1.0), 4)) for intent, score in best.items() if score > 0),
                          key=lambda item: (-item[1], item[0]))[:10]
        got = sorted(((candidate.intent, candidate.score) for candidate in matcher.rank(text)),
                     key=lambda item: (-item[1], item[0]))
        assert [score for _, score in got] == [score for _, score in expected], text
        # Intents tied (to 4 places) with the 10th may be cut either way: float sums differ in the last bits.
        last = expected[-1][1]
        assert [item for item in got if item[1] > last] == [item for item in expected if item[1] > last], text
