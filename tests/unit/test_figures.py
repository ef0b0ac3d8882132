from __future__ import annotations

import pytest

from knowledge.figures import Figures, numbers_in


def test_numbers_are_read_as_people_write_them():
    assert numbers_in("326 475, 326,475 and 326.475") == {"326475"}
    assert numbers_in("2,8 milj. or 2.8 million") == {"2.8"}
    assert numbers_in("2016-2021 and 2016–2021") == {"2016", "2021"}
    assert numbers_in("in 2021 170 projects") == {"2021", "170"}  # a year is no thousands group


def test_a_figure_belongs_to_the_entry_stating_it_with_the_fewest_other_numbers():
    figures = Figures({
        "overview": ["2016–2021: 2,8 milj. EUR, 170 projekti, 66 partneri"],
        "projects": ["170 projekti"],
        "budget": ["2,8 milj. EUR, 2016–2021"],
        "period": ["2016–2021, 170 projekti"],
    })
    assert figures.owner("170") == "projects"
    assert figures.owner("2.8") == "budget"
    assert figures.owner("66") == "overview"  # stated once, wherever that is
    assert figures.owner("2016") is None  # the budget and the period state it alike


@pytest.fixture(scope="module")
def figures(kb):
    return Figures.of_entries(kb.entries)


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("What are the 66 on the first slide?", "fact_partners"),
        ("Kas ir tie 170 — projekti vai cilvēki?", "fact_projects"),
        ("66 — ko nozīmē šis skaitlis prezentācijā?", "fact_partners"),
        ("What does the number 326,475 stand for?", "fact_participants"),
        ("Что за цифра 2,8 на слайде?", "fact_budget"),
        # no question what the figure is: the classifiers decide as before
        ("How many of the 170 were in Riga?", None),
        ("2,8 miljoni — kur tie palika?", None),
        ("Vai tiesa, ka partneru bija 66?", None),
        ("What happened in 2016?", None),  # no figure of one entry
        ("What are the 66 and the 170?", None),  # two entries' figures
    ],
)
def test_a_question_what_a_figure_is_goes_to_the_entry_stating_it(figures, text, entry_id):
    assert figures.asked_about(text) == entry_id
