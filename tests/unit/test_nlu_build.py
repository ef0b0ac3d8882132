"""Rasa's training data is generated from the knowledge base and never edited by hand."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge.loader import DEFAULT_HELDOUT_FILE, load_heldout
from knowledge.text import LATIN_LETTER_COPIES, fold, transliterate_russian
from nlu.build import NLU_DIR, build, training_texts


def _examples(path: Path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {block["intent"]: [line[2:] for line in block["examples"].splitlines()] for block in data["nlu"]}


def test_committed_training_data_is_what_the_knowledge_base_generates(kb, tmp_path):
    build(tmp_path, kb, DEFAULT_HELDOUT_FILE)
    for generated in [*sorted((tmp_path / "data").glob("*.yml")), tmp_path / "domain.yml", tmp_path / "tests" / "test_nlu.yml"]:
        committed = NLU_DIR / generated.relative_to(tmp_path)
        assert committed.exists(), f"{committed} missing: run `make nlu-data`"
        assert committed.read_text(encoding="utf-8") == generated.read_text(encoding="utf-8"), (
            f"{committed} is stale or edited by hand: run `make nlu-data`")
    assert sorted(p.name for p in (NLU_DIR / "data").glob("*.yml")) == sorted(p.name for p in (tmp_path / "data").glob("*.yml"))


def test_every_intent_is_trained_and_in_the_domain(kb, tmp_path):
    build(tmp_path, kb, None)
    trained: dict[str, list[str]] = {}
    for path in (tmp_path / "data").glob("*.yml"):
        trained.update(_examples(path))
    assert set(trained) == set(kb.intents)
    domain = yaml.safe_load((tmp_path / "domain.yml").read_text(encoding="utf-8"))
    assert domain["intents"] == kb.intents


def test_diacritic_free_copies_are_added_for_latvian_only(kb, tmp_path):
    build(tmp_path, kb, None, ascii_copies=True)
    facts = _examples(tmp_path / "data" / "kb_facts.yml")["fact_budget"]
    assert "Cik liels bija programmas budžets?" in facts and "Cik liels bija programmas budzets?" in facts
    build(tmp_path / "plain", kb, None, ascii_copies=False)
    plain = _examples(tmp_path / "plain" / "data" / "kb_facts.yml")["fact_budget"]
    assert len(plain) < len(facts)


def test_heldout_questions_never_reach_the_training_data(kb, tmp_path):
    build(tmp_path, kb, DEFAULT_HELDOUT_FILE)
    trained = {fold(text) for path in (tmp_path / "data").glob("*.yml") for texts in _examples(path).values() for text in texts}
    assert not [item.text for item in load_heldout(kb=kb) if fold(item.text) in trained]


def test_a_few_russian_examples_are_also_trained_in_latin_letters(kb):
    texts = training_texts(kb, "fact_budget", ascii_copies=True)
    russian = [text for language, text in kb.examples("fact_budget") if language == "ru"]
    copies = [transliterate_russian(text, "jy"[n % 2]) for n, text in enumerate(russian[:LATIN_LETTER_COPIES])]
    assert copies and all(copy.isascii() and copy in texts for copy in copies)
    assert transliterate_russian(russian[LATIN_LETTER_COPIES], "j") not in texts  # a few, not all: training time
    assert not any(text.isascii() and text in copies for text in training_texts(kb, "fact_budget", ascii_copies=False))
