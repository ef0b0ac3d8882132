"""Schema + engine features for neutral questions: "hard to say" (unsure), a middle label, "none of these"."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError

from bot.config import PROJECT_DIR
from bot.i18n import Translator
from bot.staff.charts import ChartTexts, bars_for
from bot.staff.export import ValueLabels, cell_value
from bot.staff.stats import _question_stats
from bot.surveys.engine import Answer, Progress
from bot.surveys.schema import UNSURE, Question, Survey, load_surveys
from bot.surveys.values import button_value, toggled
from handlers import survey_views
from handlers.common import parse

L = {"lv": "a", "en": "a", "ru": "a"}
SURVEYS = load_surveys(PROJECT_DIR / "surveys")
TEXTS = Translator()


def scale(**extra) -> Question:
    return Question(id="q", type="scale", text=L, min=1, max=5, min_label=L, max_label=L, **extra)


def test_unsure_is_only_for_scale_and_yes_no():
    assert scale(unsure=True).unsure
    assert Question(id="q", type="yes_no", text=L, unsure=True).unsure
    with pytest.raises(ValidationError, match="unsure"):
        Question(id="q", type="text", text=L, unsure=True)


def test_mid_label_needs_a_middle_point():
    assert scale(mid_label=L).mid == 3
    with pytest.raises(ValidationError, match="middle point"):
        Question(id="q", type="scale", text=L, min=1, max=4, mid_label=L)
    with pytest.raises(ValidationError, match="only allowed for scale"):
        Question(id="q", type="yes_no", text=L, mid_label=L)


def test_exclusive_choice_only_on_multi_and_clears_the_others():
    choices = [{"id": "a", "label": L}, {"id": "b", "label": L}, {"id": "none", "label": L, "exclusive": True}]
    question = Question(id="q", type="multi", text=L, choices=choices)
    assert toggled(question, ["a", "b"], "none") == ["none"]
    assert toggled(question, ["none"], "a") == ["a"]
    assert toggled(question, ["a"], "b") == ["a", "b"]
    assert toggled(question, ["none"], "none") == []
    with pytest.raises(ValidationError, match="exclusive"):
        Question(id="q", type="single", text=L, choices=choices)


def test_unsure_button_value_and_rendering():
    question = scale(unsure=True, mid_label={"lv": "vidēji", "en": "middle", "ru": "средне"})
    assert button_value(question, UNSURE) == UNSURE
    with pytest.raises(ValueError):
        button_value(scale(), UNSURE)  # only where the question offers it
    assert survey_views.answer_text(question, Answer(UNSURE, False), "en", TEXTS) == TEXTS("en", "survey.unsure")
    assert survey_views.answer_text(question, Answer(3, False), "en", TEXTS) == "3 (middle)"
    survey = Survey(id="s", title=L, intro=L, questions=[question])
    progress = Progress(survey, 1, "in_progress", "en", False, question, {})
    data = [b.callback_data for row in survey_views.question_keyboard(progress, TEXTS).inline_keyboard for b in row]
    assert "sv:a:1:q:unsure" in data and parse("sv:a:1:q:unsure").verb == "sv.answer"
    assert "3 — middle" in survey_views.question_text(progress, TEXTS)


def test_unsure_in_stats_charts_and_export():
    question = scale(unsure=True)
    stats = _question_stats(question, Counter({1: 1, 5: 1, UNSURE: 2}), answered=4, skipped=0)
    assert stats.mean == 3 and stats.median == 3  # "hard to say" is not a number on the scale
    assert stats.distribution[UNSURE] == 2
    bars = bars_for(stats, ChartTexts(language="en", unsure="Hard to say"))
    assert bars[-1].label == "Hard to say" and bars[-1].count == 2
    labels = ValueLabels("en", "yes", "no", "hard to say")
    assert cell_value(question, '"unsure"', False, labels) == "hard to say"
    yes_no = Question(id="y", type="yes_no", text=L, unsure=True)
    assert cell_value(yes_no, '"unsure"', False, labels) == "hard to say"  # not "yes" (a truthy string)
    assert cell_value(yes_no, "false", False, labels) == "no"
    yes_no_stats = _question_stats(yes_no, Counter({True: 1, UNSURE: 1}), answered=2, skipped=0)
    assert [bar.count for bar in bars_for(yes_no_stats, ChartTexts())] == [1, 0, 1]


def test_shipped_questions_are_neutral_and_complete():
    for survey in SURVEYS.values():
        for question in survey.questions:
            if question.type == "scale":
                assert question.min_label and question.mid_label and question.max_label, question.id
            if question.type in ("scale", "yes_no") and not question.optional:
                assert question.unsure, f"{survey.id}.{question.id} needs a 'hard to say' answer"
            if question.type == "multi":
                assert any(choice.exclusive for choice in question.choices), f"{question.id}: 'none of these'"
    participants = SURVEYS["participants"]
    met = participants.question("met_groups")
    assert met.type == "single" and [c.id for c in met.choices] == ["did_not_meet", "met", "together", "unsure"]
    assert participants.question("readiness").type == "scale"
    # allow_repeat is off, so the survey says which event it is about
    assert not participants.allow_repeat and "latest event" in participants.intro.get("en")
    for question_id in ("understanding", "view_change", "belonging_change"):
        text = participants.question(question_id).text.get("en")
        assert text.endswith("?"), question_id  # a question, not a statement to agree with
    assert "more open" not in participants.question("view_change").text.get("en")
