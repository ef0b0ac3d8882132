"""The knowledge-base corrections from the review against the presentation (issue 11, section 2).

Each test names what was wrong; it fails if the knowledge base drifts back.
"""

from __future__ import annotations

import re

import pytest

from knowledge.text import LANGUAGES, fold

PRESENT_TENSE_CAVEATS = ["fact_period", "approach_ngo_newcomers", "approach_creativity_motivation",
                         "synergy_art_society_education", "fact_budget"]
BREAKDOWN_CAVEATS = ["fact_budget", "fact_projects", "fact_partners", "fact_participants"]


@pytest.mark.parametrize("entry_id", PRESENT_TENSE_CAVEATS)
def test_present_tense_questions_get_the_period_and_a_pointer_to_staff(kb, entry_id):
    caveat = kb.entry(entry_id).caveat
    assert caveat is not None, entry_id
    for language in LANGUAGES:
        text = caveat.get(language)
        assert "2016" in text and "2021" in text, (entry_id, language)
        assert re.search(r"darbinieki|staff|сотрудник", text), (entry_id, language)


@pytest.mark.parametrize("entry_id", BREAKDOWN_CAVEATS)
def test_totals_say_that_no_breakdown_is_known(kb, entry_id):
    for language in LANGUAGES:
        text = fold(kb.entry(entry_id).caveat.get(language))
        assert re.search(r"sadalijum|breakdown|распределени|sarakst|list|списк", text), (entry_id, language)


def test_long_term_cooperation_does_not_claim_a_duration(kb):
    durations = re.compile(r"cik ilgi|how long|как долго|\bсколько лет")
    examples = [text for _, text in kb.examples("approach_long_term_cooperation")]
    assert not [text for text in examples if durations.search(fold(text))]


def test_partners_answers_how_many_organisations(kb):
    examples = {language: [fold(t) for lang, t in kb.examples("fact_partners") if lang == language] for language in LANGUAGES}
    assert any("organizacij" in t for t in examples["lv"])
    assert any("organisation" in t or "organization" in t for t in examples["en"])
    assert any("организаци" in t for t in examples["ru"])


@pytest.mark.parametrize(
    "concept",
    [
        r"indikator|indicator|индикатор|merka grup|target group|целев",
        r"region|регион|latgal|латгал",
        r"pienem|iesniegt|accepting|принима|atvert|open now|открыт",
        r"(jaun|tikko|nesen).*(dibin|biedrib)|newly founded|registered last month|new(ly)? (association|ngo)|(нов|только что|в этом году).*(созда|обществ|нко)|(созда|зарегистр).*(обществ|нко)",
        r"lv vs ru",
    ],
)
def test_near_miss_questions_have_out_of_scope_examples_in_every_language(kb, concept):
    pattern = re.compile(concept)
    found = {language for language, text in kb.examples("out_of_scope") if pattern.search(fold(text))}
    assert found == set(LANGUAGES), (concept, found)


def test_one_russian_name_for_the_school_bag_programme(kb):
    russian = [entry.answer.ru for entry in kb.entries.values()] + [
        entry.caveat.ru for entry in kb.entries.values() if entry.caveat]
    named = [text for text in russian if "skolas soma" in text.lower()]
    assert named and all("«Латвийская школьная сумка»" in text for text in named)
    assert not [text for text in russian if re.search(r"рюкзак|портфел", text.lower())]


def test_overview_does_not_suggest_the_budget_produced_the_outputs(kb):
    for language in LANGUAGES:
        answer = kb.entry("programme_overview").answer.get(language)
        assert not re.search(r"(eiro|million|евро)\s*:", answer), language


def test_monitoring_answer_in_english_is_not_a_tautology(kb):
    assert kb.entry("approach_monitoring").answer.en.lower().count("result") <= 1


def test_small_talk_is_its_own_intent(kb):
    assert "smalltalk" in kb.meta and len(kb.examples("smalltalk")) >= 30
