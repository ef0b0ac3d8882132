"""/stats numbers against a seeded database (tests/staff_helpers.py), worked out by hand."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.i18n import Translator
from bot.staff.render import qa_stats_block, survey_stats_blocks
from bot.staff.stats import all_survey_stats, qa_stats
from tests.staff_helpers import NOW, demo_survey, open_database, seed_questions, seed_survey


@dataclass
class Db:
    uow: object


@pytest.fixture
async def seeded(tmp_path):
    engine, uow_factory = await open_database(tmp_path / "stats.db")
    survey = demo_survey()
    async with uow_factory() as uow:
        await seed_survey(uow)
        await seed_questions(uow)
        await uow.commit()
    yield Db(uow_factory), survey
    await engine.dispose()


async def test_survey_completion_and_per_question_numbers(seeded):
    services, survey = seeded
    async with services.uow() as uow:
        [stats] = await all_survey_stats(uow.staff, {survey.id: survey})
    assert (stats.started, stats.completed, stats.in_progress, stats.cancelled) == (6, 4, 1, 1)
    assert stats.completion_rate == pytest.approx(4 / 6)
    assert stats.median_seconds == 150  # median of 60, 120, 300, 180
    assert stats.is_open is True

    overall = stats.question("overall")
    assert overall.distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 2}  # in-progress and cancelled answers excluded
    assert overall.mean == pytest.approx(4.0)
    assert overall.median == 4.5
    assert stats.question("area").distribution == {"culture": 2, "education": 1, "engagement": 1}
    gains = stats.question("gains")
    assert gains.distribution == {"skills": 2, "contacts": 2, "understanding": 1, "nothing": 0}
    assert gains.answered == 4
    assert stats.question("again").distribution == {True: 3, False: 1}
    comment = stats.question("comment")
    assert (comment.answered, comment.skipped, comment.distribution) == (3, 1, {})


async def test_staff_switch_overrides_the_file_default(seeded):
    services, survey = seeded
    async with services.uow() as uow:
        await uow.surveys.set_state(survey.id, False, updated_by=1001)
        await uow.commit()
    async with services.uow() as uow:
        [stats] = await all_survey_stats(uow.staff, {survey.id: survey})
    assert stats.is_open is False


async def test_qa_numbers(seeded):
    services, _ = seeded
    async with services.uow() as uow:
        stats = await qa_stats(uow.staff, now=NOW)
    week, month = stats.windows
    assert (week.days, week.questions, week.answered, week.fallback) == (7, 4, 3, 1)
    assert week.answered_rate == pytest.approx(0.75)
    assert (month.days, month.questions, month.answered, month.fallback) == (30, 6, 3, 3)
    assert month.fallback_rate == pytest.approx(0.5)
    # topics: answered, chosen and browsed entries; meta intents, handoffs and older questions are not topics
    assert stats.top_topics == [("fact_budget", 2), ("fact_period", 2)]
    assert (stats.thumbs_up, stats.thumbs_down) == (2, 1)
    assert stats.helpfulness == pytest.approx(2 / 3)
    assert stats.languages == {"lv": 3, "en": 2, "ru": 1}


async def test_rendered_stats_in_three_languages(seeded, kb):
    services, survey = seeded
    texts = Translator()
    async with services.uow() as uow:
        [stats] = await all_survey_stats(uow.staff, {survey.id: survey})
        qa = await qa_stats(uow.staff, now=NOW)
    lv = "\n".join(survey_stats_blocks(stats, texts, "lv"))
    assert "Sāktas: 6 · pabeigtas: 4 (67%)" in lv
    assert "2 min 30 s" in lv
    assert "vidēji 4,00, mediāna 4,5" in lv  # decimal comma in Latvian
    assert "Kultūra un māksla: ▇▇▇▇▇▇▇▇▇▇▇▇ 2 (50%)" in lv
    assert "teksta atbildes: 3 · izlaisti: 1" in lv
    en = qa_stats_block(qa, kb, texts, "en")
    assert "Last 7 days: questions: 4 — answered 3 (75%), fell back 1 (25%)" in en
    assert "1. Programme budget — 2" in en
    assert "👍 2 / 👎 1 — 67%" in en
    ru = "\n".join(survey_stats_blocks(stats, texts, "ru"))
    assert "среднее 4,00, медиана 4,5" in ru


def test_a_huge_distribution_is_split_between_lines_never_sliced():
    """Issue 9, item 1: /stats blocks used to be cut at 4,095 characters of finished HTML (an entity cut in half)."""
    from bot.i18n import Translator
    from bot.staff.render import survey_stats_blocks
    from bot.staff.stats import QuestionStats, SurveyStats
    from tests.staff_helpers import demo_survey
    from tests.telegram_html import visible_text

    survey = demo_survey()
    area = survey.question("area")
    many = QuestionStats(area, answered=300, respondents=300,
                         distribution={f"&<>&<>&<>&<>{number}": 1 for number in range(300)})
    stats = SurveyStats(survey, True, 300, 300, 0, 0, 60.0, [many])
    blocks = survey_stats_blocks(stats, Translator(default="lv"), "lv")
    assert len(blocks) > 2
    for block in blocks:
        assert len(block) <= 4096
        visible_text(block)  # valid Telegram HTML: no entity or tag cut
    assert sum(block.count("&amp;&lt;&gt;") for block in blocks) == 300 * 3
