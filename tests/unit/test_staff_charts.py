"""Charts: a PNG for every chartable question type, wide enough for a phone; nothing for text questions."""

from __future__ import annotations

import struct

import pytest

from bot.staff.charts import ChartTexts, bar_chart_png, bars_for, question_chart_png
from bot.staff.stats import all_survey_stats
from tests.staff_helpers import demo_survey, open_database, seed_survey

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    return struct.unpack(">II", data[16:24])


@pytest.fixture
async def stats(tmp_path):
    engine, uow_factory = await open_database(tmp_path / "charts.db")
    survey = demo_survey()
    async with uow_factory() as uow:
        await seed_survey(uow)
        await uow.commit()
    async with uow_factory() as uow:
        [result] = await all_survey_stats(uow.staff, {survey.id: survey})
    await engine.dispose()
    return result


async def test_every_chartable_question_gives_a_non_empty_png(stats):
    texts = ChartTexts(language="lv", yes="Jā", no="Nē", note="atbildējuši: {n}")
    for question_stats in stats.questions:
        png = question_chart_png(question_stats, texts)
        if question_stats.question.type == "text":
            assert png is None
            continue
        assert png is not None and len(png) > 5000, question_stats.question.id
        width, height = png_size(png)
        assert width >= 900 and height >= 500  # readable on a phone: about a screen's width


async def test_bars_use_localized_labels_in_survey_order(stats):
    russian = ChartTexts(language="ru", yes="Да", no="Нет")
    assert [(b.label, b.count) for b in bars_for(stats.question("again"), russian)] == [("Да", 3), ("Нет", 1)]
    area = bars_for(stats.question("area"), russian)
    assert [b.label for b in area] == ["Культура и искусство", "Образование", "Вовлечение общества"]
    overall = bars_for(stats.question("overall"), russian)
    assert overall[0].label == "1\nПлохо" and overall[-1].label == "5\nОтлично"
    assert [b.count for b in overall] == [0, 1, 0, 1, 2]


def test_an_empty_distribution_still_draws():
    png = bar_chart_png("Nobody answered yet", [], "n = 0")
    assert png.startswith(PNG_SIGNATURE)
