"""`python -m scripts.add_examples`: the developer's way to add a round's training examples, with the refusals of
staff teaching (evaluation twins, duplicates, details the entry lacks) and a non-zero exit when any was refused."""

from __future__ import annotations

import shutil

import pytest

from knowledge.loader import DEFAULT_DATA_DIR, EVAL_FILES, load_heldout, load_knowledge_base
from scripts.add_examples import main


@pytest.fixture
def data_dir(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target


def test_new_examples_are_added_and_each_refusal_is_reported(data_dir, tmp_path, capsys):
    evaluation_question = load_heldout(EVAL_FILES[0])[0].text
    existing = load_knowledge_base(data_dir).entry("fact_budget").examples.en[0]
    new = tmp_path / "new.yaml"
    new.write_text(
        "fact_budget:\n"
        "  lv: ['Cik liela naudas kaudze bija sadalāma starp visiem projektiem kopā?']\n"
        f"  en: [{existing!r}, {evaluation_question!r}]\n",
        encoding="utf-8",
    )
    assert main([str(new), "--data-dir", str(data_dir)]) == 1
    output = capsys.readouterr().out
    assert "already an example" in output and f"evaluation set {EVAL_FILES[0].name}" in output
    assert output.strip().endswith("added 1, refused 2")
    kb = load_knowledge_base(data_dir)
    assert kb.entry("fact_budget").examples.lv[-1] == "Cik liela naudas kaudze bija sadalāma starp visiem projektiem kopā?"


def test_a_clean_run_exits_zero_and_a_malformed_request_changes_nothing(data_dir, tmp_path, capsys):
    new = tmp_path / "new.yaml"
    new.write_text("approach_overview:\n  en: ['Which working principles did the programme stand on?']\n", encoding="utf-8")
    assert main([str(new), "--data-dir", str(data_dir)]) == 0
    before = {path: path.read_bytes() for path in data_dir.rglob("*.yaml")}
    for broken in ("fact_budget: [oops]\n", "fact_budget:\n  lv: 'not a list'\n", "items: [\n"):
        new.write_text(broken, encoding="utf-8")
        assert main([str(new), "--data-dir", str(data_dir)]) == 2
    assert "expected" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in data_dir.rglob("*.yaml")} == before
