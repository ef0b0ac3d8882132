"""The leak check between training examples and evaluation sets (knowledge/leaks.py)."""

from __future__ import annotations

from knowledge.leaks import LeakIndex, jaccard, order_free_key, trigrams


def test_word_order_case_diacritics_yo_and_punctuation_do_not_make_a_new_question():
    index = LeakIndex(["Cik liels bija programmas budžets?", "с каким количеством партнёров сотрудничали"])
    assert index.twin_of("programmas budzets cik liels bija") == "Cik liels bija programmas budžets?"
    assert index.twin_of("С каким количеством партнеров сотрудничали!") is not None
    assert order_free_key("B a, c") == order_free_key("c b A")


def test_one_word_more_is_still_a_twin_but_a_real_paraphrase_is_not():
    index = LeakIndex(["how much money did the programme have"])
    assert index.twin_of("How much money did the programme have in total?") is not None
    assert index.twin_of("what was the overall funding of the programme") is None


def test_jaccard_limit_is_the_documented_one():
    a, b = trigrams("budzets programmai"), trigrams("budzets programmai")
    assert jaccard(a, b) == 1.0
    assert LeakIndex(["abcdefghij klmnop"]).twin_of("completely different words") is None
