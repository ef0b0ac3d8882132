"""Typing slips are corrected towards the knowledge base's words; grammar is not (knowledge/spelling.py)."""

from __future__ import annotations

import pytest

from knowledge.matcher import LexicalMatcher
from knowledge.spelling import SpellingCorrector

TEXTS = [
    "How many partners took part? The partners and the fields.",
    "Cik partneru bija? Programma, programma, programmas vārds un vārdus.",
    "Сколько было партнёров? Проекты программы.",
    "parters",  # a rare word one slip from "parnters" too: "partners" is used far more often
]


@pytest.fixture(scope="module")
def spelling() -> SpellingCorrector:
    return SpellingCorrector(TEXTS)


@pytest.mark.parametrize(
    ("typed", "corrected"),
    [
        ("how many parnters?", "how many partners?"),  # two neighbouring letters swapped
        ("in which feilds?", "in which fields?"),
        ("programmma", "programma"),  # a letter typed twice
        ("Cik prtneru bija?", "Cik partneru bija?"),  # a letter left out of the stem
        ("Сколько было партнёорв?", "Сколько было партнёров?"),
    ],
)
def test_a_slip_becomes_the_known_word(spelling, typed, corrected):
    assert spelling.correct(typed) == corrected


@pytest.mark.parametrize(
    "typed",
    [
        "Cik partneru bija?",  # known words stay, with their diacritics and capitals
        "vārds",  # a letter less in the ending is grammar ("vārdus" is known, "vārds" too)
        "vards programmu",  # not known, but only a replaced letter or an ending away: grammar, not a slip
        "Cik partneri bija?",  # a replaced letter in the ending
        "Cik partnru bija?",  # a letter missing from the ending is not put back
        "wether",  # nothing known that close
        "a b c",  # short words
        "x" * 5000,  # no word that long
        "2016–2021",
    ],
)
def test_words_that_are_no_slip_stay_as_typed(spelling, typed):
    assert spelling.correct(typed) == typed


def test_a_slip_with_no_clear_candidate_stays():
    spelling = SpellingCorrector(["results", "resulst"])  # "reuslts" undoes to both, each used once
    assert spelling.correct("reulsts") == "reulsts"


def test_the_matcher_corrects_towards_every_example_title_and_answer(kb):
    spelling = LexicalMatcher(kb).spelling
    assert "partners" in spelling
    assert spelling.correct("how many parnters were involved?") == "how many partners were involved?"


def test_a_slip_the_examples_teach_once_is_still_corrected():
    corrector = SpellingCorrector(["partneru skaits"] * 5 + ["partenru skaits?", "vards", "vards", "vadrs"])
    assert corrector.correct("partenru skaits?") == "partneru skaits?"
    assert corrector.correct("vadrs") == "vadrs"  # its neighbour is not common enough to call it a slip
