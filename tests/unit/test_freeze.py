"""Freezing a newly written evaluation set (nlu/freeze.py): whatever leaks is removed before the set is ever used."""

from __future__ import annotations

from knowledge.loader import load_heldout
from knowledge.text import fold_latin_diacritics
from nlu.freeze import freeze, main, write


def _item(text: str, intent: str = "fact_budget", lang: str = "en") -> dict[str, str]:
    return {"text": text, "lang": lang, "intent": intent, "style": "plain"}


def _latvian_example_with_diacritics(kb) -> str:
    return next(text for language, text in kb.examples("fact_budget")
                if language == "lv" and fold_latin_diacritics(text) != text and len(text.split()) > 2)


def test_twins_of_training_texts_other_sets_and_earlier_items_and_unknown_labels_are_removed(kb, tmp_path):
    example = next(text for language, text in kb.examples("fact_budget") if language == "en")
    other = tmp_path / "other.yaml"
    write(other, "another set", [_item("Would a beekeeping club in Cēsis have been a typical grantee?", "out_of_scope")])
    fresh = _item("Roughly what sum of euros stood behind all those activities, start to finish?")
    items = [
        _item(" ".join(reversed(example.rstrip("?").split()))),  # a training example in another word order
        _item(fold_latin_diacritics(_latvian_example_with_diacritics(kb)), lang="lv_ascii"),  # a copy training adds
        _item("would a beekeeping club in Cesis have been a typical grantee", "out_of_scope"),  # another set's item
        fresh,
        _item("Roughly what sum of euros stood behind all those activities, start to finish!"),  # its own twin
        _item("What colour was the logo?", "fact_logo"),  # no such entry
    ]
    frozen = freeze(items, kb, [other])
    assert frozen.kept == [fresh]
    assert frozen.removed == {"twin of a training text": 2, "twin of another set's item": 1,
                              "twin of an earlier item": 1, "unknown label": 1}


def test_the_frozen_set_loads_with_the_leak_check_and_keeps_its_header(kb, tmp_path, capsys):
    written = tmp_path / "written.yaml"
    written.write_text("items:\n  - {text: 'Kas bija tas \"lielais katls\" — cik eiro, aptuveni?', lang: lv, "
                       "intent: fact_budget, style: paraphrase}\n"
                       "  - {text: 'It''s raining in Ogre, should I take an umbrella?', lang: en, intent: out_of_scope, "
                       "style: offtopic}\n", encoding="utf-8")
    header = tmp_path / "header.txt"
    header.write_text("Written blind by a test.\n{written} written, {removed} removed, {kept} remain.\n", encoding="utf-8")
    out = tmp_path / "blind99.yaml"
    assert main([str(out), str(written), "--header", str(header)]) == 0
    assert out.read_text(encoding="utf-8").startswith("# Written blind by a test.\n# 2 written, 0 removed, 2 remain.\n")
    items = load_heldout(out, kb)
    assert [(item.text, item.intent, item.style) for item in items] == [
        ('Kas bija tas "lielais katls" — cik eiro, aptuveni?', "fact_budget", "paraphrase"),
        ("It's raining in Ogre, should I take an umbrella?", "out_of_scope", "offtopic"),
    ]
    assert capsys.readouterr().out == "2 written; removed none; kept 2: lv 1, out_of_scope 1\n"
