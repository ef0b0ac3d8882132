"""The knowledge base: complete, valid, faithful to the presentation, and broken files explained."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from knowledge.loader import (
    DEFAULT_DATA_DIR,
    EVAL_FILES,
    FRESH_EVAL_FILE,
    KnowledgeBaseError,
    load_heldout,
    load_knowledge_base,
)
from knowledge.schema import META_INTENTS, MIN_EXAMPLES_PER_LANGUAGE
from knowledge.text import LANGUAGES, fold, has_latvian_diacritics

SEED = Path(__file__).resolve().parents[2] / "knowledge" / "source" / "presentation_lv.txt"


def test_every_planned_topic_of_the_presentation_has_an_entry(kb):
    expected = {
        "programme_overview", "fact_period", "fact_budget", "fact_projects", "fact_partners", "fact_participants",
        "areas_overview", "area_culture_arts", "area_education", "area_engagement", "change_levels", "change_stages",
        "results_overview", "results_society", "results_art", "results_21st_skills", "results_person",
        "results_community", "results_organisations", "results_policy", "synergies_overview", "synergy_art_society",
        "synergy_art_society_education", "synergy_education_society", "approach_overview",
        "approach_long_term_cooperation", "approach_creativity_motivation", "approach_dialogue_support",
        "approach_networking", "approach_ngo_newcomers", "approach_monitoring", "recommendations_overview",
        "rec_21st_skills", "rec_communities", "rec_arts_culture", "closing_quote",
    }
    assert set(kb.entries) == expected
    assert set(kb.meta) == set(META_INTENTS)


def test_every_intent_has_enough_examples_in_every_language(kb):
    for intent in kb.intents:
        for language in LANGUAGES:
            texts = [text for lang, text in kb.examples(intent) if lang == language]
            assert len(texts) >= MIN_EXAMPLES_PER_LANGUAGE, (intent, language)


def test_latvian_examples_include_text_typed_without_diacritics(kb):
    for entry in kb.entries.values():
        plain = [text for text in entry.examples.lv if not has_latvian_diacritics(text)]
        assert len(plain) >= 3, entry.id


@pytest.mark.parametrize(
    ("entry_id", "language", "fact"),
    [
        ("fact_budget", "lv", "2,8"),
        ("fact_budget", "en", "2.8"),
        ("fact_budget", "ru", "2,8"),
        ("fact_period", "en", "2016"),
        ("fact_period", "en", "2021"),
        ("fact_projects", "lv", "170"),
        ("fact_partners", "ru", "66"),
        ("closing_quote", "en", "Mēs esam lieli tik, cik mūsu griba"),
    ],
)
def test_key_facts_are_in_the_answers(kb, entry_id, language, fact):
    assert fact in kb.entries[entry_id].answer.get(language)


def test_participants_number_is_the_presentations(kb):
    for language in LANGUAGES:
        digits = re.sub(r"\D", "", kb.entries["fact_participants"].answer.get(language))
        assert "326475" in digits, language


def test_answers_invent_no_numbers_beyond_the_presentation(kb):
    """Every number in any answer must occur in the presentation (no invented amounts or dates)."""
    seed_numbers = set(re.findall(r"\d+", SEED.read_text(encoding="utf-8")))
    seed_numbers |= {"21", "1", "2", "3", "4", "5", "6", "7", "8", "9"}  # "21st century", list counts
    for entry in kb.entries.values():
        for language in LANGUAGES:
            for number in re.findall(r"\d+", entry.answer.get(language)):
                assert number in seed_numbers or number in {"326", "475", "000"}, (entry.id, language, number)


def test_answers_contain_no_contacts_or_links(kb):
    for entry in kb.entries.values():
        for language in LANGUAGES:
            text = entry.answer.get(language)
            assert not re.search(r"@|https?://|www\.|\+371|\btel\.", text), (entry.id, language)


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda path: path.name)
def test_evaluation_sets_are_labelled_with_known_intents_and_never_trained_on(kb, path):
    items = load_heldout(path, kb=kb)  # also runs the leak check (knowledge/leaks.py)
    assert {item.lang for item in items} == {"lv", "lv_ascii", "en", "ru"}
    assert all(not has_latvian_diacritics(item.text) for item in items if item.lang == "lv_ascii")
    training = {fold(text) for intent in kb.intents for _, text in kb.examples(intent)}
    assert not [item.text for item in items if fold(item.text) in training]
    covered = {item.intent for item in items}
    # Small talk is labelled out_of_scope in the sets: both are declines. The small fresh set (20 in-scope items
    # per group, some lost to the leak check) need not reach every entry.
    assert covered <= set(kb.intents)
    if path != FRESH_EVAL_FILE:
        assert set(kb.entries) | {"out_of_scope"} <= covered


# --- broken files fail with a message naming the file, the entry and the field ---------------------------


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_missing_translation_names_file_entry_and_field(kb_copy):
    facts = kb_copy / "entries" / "facts.yaml"
    _edit(facts, lambda d: d["entries"][1]["answer"].pop("ru"))
    with pytest.raises(KnowledgeBaseError) as error:
        load_knowledge_base(kb_copy)
    message = str(error.value)
    assert "facts.yaml" in message and "fact_budget" in message and "answer.ru" in message


def test_too_few_examples_is_reported(kb_copy):
    facts = kb_copy / "entries" / "facts.yaml"
    _edit(facts, lambda d: d["entries"][0]["examples"].update(en=["when?"]))
    with pytest.raises(KnowledgeBaseError, match=r"facts\.yaml.*fact_period.*examples\.en"):
        load_knowledge_base(kb_copy)


def test_unknown_related_id_is_reported(kb_copy):
    facts = kb_copy / "entries" / "facts.yaml"
    _edit(facts, lambda d: d["entries"][0].update(related=["no_such_entry"]))
    with pytest.raises(KnowledgeBaseError, match=r"fact_period.*related.*no_such_entry"):
        load_knowledge_base(kb_copy)


def test_same_example_in_two_intents_is_reported(kb_copy):
    facts = kb_copy / "entries" / "facts.yaml"

    def clash(data):
        data["entries"][0]["examples"]["lv"].append(data["entries"][1]["examples"]["lv"][0].upper())

    _edit(facts, clash)
    with pytest.raises(KnowledgeBaseError, match=r"entry 'fact_budget': field examples\.lv: .* is also an example of 'fact_period'"):
        load_knowledge_base(kb_copy)


def test_invalid_yaml_names_the_file(kb_copy):
    (kb_copy / "entries" / "facts.yaml").write_text("entries: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"facts\.yaml: not valid YAML"):
        load_knowledge_base(kb_copy)


def test_unknown_field_and_category_are_reported(kb_copy):
    facts = kb_copy / "entries" / "facts.yaml"
    _edit(facts, lambda d: d["entries"][2].update(deadline="2025-01-01"))
    with pytest.raises(KnowledgeBaseError, match=r"fact_projects.*field deadline"):
        load_knowledge_base(kb_copy)
    _edit(facts, lambda d: (d["entries"][2].pop("deadline"), d["entries"][2].update(category="prizes")))
    with pytest.raises(KnowledgeBaseError, match=r"fact_projects.*category.*prizes"):
        load_knowledge_base(kb_copy)


def test_empty_file_is_reported(kb_copy):
    (kb_copy / "meta.yaml").write_text("", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"meta\.yaml: the file is empty"):
        load_knowledge_base(kb_copy)
