from __future__ import annotations

import pytest

from handlers.common import SHAPES, Callback, build, parse


def test_every_shape_builds_and_parses_back_to_itself():
    samples = {"id": 123, "key": "fact_budget", "question": "q1", "choice": "c1", "value": "-3", "lang": "lv",
               "menu": "help", "verdict": "u", "consent": "n", "yn": "y", "count": 100, "page": 2, "bit": 1}
    import re

    for verb, shape in SHAPES.items():
        args = [samples[kind] for kind in re.findall(r"\{(\w+)\}", shape)]
        data = build(verb, *args)
        assert parse(data) == Callback(verb, tuple(str(arg) for arg in args)), verb


@pytest.mark.parametrize("data", ["top\n", "rate:1:u ", "pick:1:Fact", "ho:1:", "sv:f:yes", "", None, "x" * 65])
def test_parse_refuses_anything_not_matching_in_full(data):
    assert parse(data) is None


def test_build_refuses_data_that_would_not_parse_or_is_too_long():
    with pytest.raises(ValueError):
        build("qa.rate", 1, "x")
    with pytest.raises(ValueError):
        build("qa.pick", 1, "a" * 60)  # over 64 bytes (and the entry id pattern)
    with pytest.raises(ValueError):
        build("qa.none", 1, 2)  # too many arguments


def test_no_two_shapes_accept_the_same_data():
    assert len(set(SHAPES.values())) == len(SHAPES)


def test_row_ids_beyond_32_bits_are_refused():
    """Found by the fuzz suite on PostgreSQL: "rate:2147483648:d" reached a query on an INTEGER column and failed."""
    from handlers.common import Callback, parse

    assert parse("rate:2147483647:d") == Callback("qa.rate", ("2147483647", "d"))
    for data in ("rate:2147483648:d", "sv:a:999999999999:q:1", "pick:4294967296:fact_budget", "adm:u:99999999999"):
        assert parse(data) is None, data
