from __future__ import annotations

import pytest

from knowledge.language import LanguageDetector
from knowledge.text import fold, fold_latin_diacritics, words


def test_fold_removes_latvian_diacritics_but_keeps_cyrillic():
    assert fold("Cik LIELS bija Budžets?") == "cik liels bija budzets?"
    assert fold_latin_diacritics("Ķīšu ģērbšanās") == "Kisu gerbsanas"
    assert fold("Йод и ёж") == "йод и ёж"


def test_words_drop_punctuation():
    assert words("Kāds bija budžets?!  (2016–2021)") == ["kads", "bija", "budzets", "2016", "2021"]


@pytest.fixture(scope="module")
def detector(kb):
    return LanguageDetector(kb)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Cik liels bija programmas budžets?", "lv"),
        ("kads bija programmas budzets", "lv"),
        ("cik projektu istenoja", "lv"),
        ("What was the budget of the programme?", "en"),
        ("how many partners", "en"),
        ("Какой был бюджет программы?", "ru"),
        ("бюджет", "ru"),
    ],
)
def test_detects_language_of_questions(detector, text, language):
    assert detector.detect(text) == language


@pytest.mark.parametrize("text", ["2016?", "👍", "", "???"])
def test_no_evidence_means_no_guess(detector, text):
    assert detector.detect(text) is None
