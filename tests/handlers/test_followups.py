"""Follow-up questions in context, through the real PTB Application on the offline Bot API (issue 11, section 4).

The context is the user's last answer, read from the database; it expires after FOLLOWUP_MINUTES."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.db.models import Question
from tests.conftest import kb_answer


async def questions(harness) -> list[Question]:
    async with harness.services.uow() as uow:
        return list((await uow.session.execute(select(Question).order_by(Question.id))).scalars())


async def test_in_russian_please_repeats_the_last_answer_in_russian(harness):
    await harness.say("kads bija programmas budzets?")
    await harness.say("in Russian please")
    assert kb_answer(harness.services.kb, "fact_budget", "ru") in harness.last_text()
    last = (await questions(harness))[-1]
    assert (last.entry_id, last.language, last.engine) == ("fact_budget", "ru", "context")


async def test_tell_me_more_offers_the_related_entries(harness):
    await harness.say("kads bija programmas budzets?")
    await harness.say("pastāsti vairāk")
    kb = harness.services.kb
    related = kb.entry("fact_budget").related
    data = [b["callback_data"] for b in harness.buttons()]
    assert [d.split(":")[2] for d in data if d.startswith("pick:")] == related
    assert harness.services.texts("lv", "followup.more") in harness.last_text()


async def test_short_continuations_lean_on_the_previous_answer(harness):
    kb = harness.services.kb
    await harness.say("kads bija programmas budzets?")
    await harness.say("un cik projektu?")
    assert kb_answer(kb, "fact_projects", "lv") in harness.last_text()
    await harness.say("а партнёров?")
    assert kb_answer(kb, "fact_partners", "ru") in harness.last_text()
    await harness.say("and who were the partners?")
    assert kb_answer(kb, "fact_partners", "en") in harness.last_text()


async def test_the_context_expires(harness):
    await harness.say("kads bija programmas budzets?")
    async with harness.services.uow() as uow:
        for question in (await uow.session.execute(select(Question))).scalars():
            question.created_at = question.created_at - timedelta(minutes=11)
        await uow.commit()
    await harness.say("in Russian please")
    assert kb_answer(harness.services.kb, "fact_budget", "ru") not in harness.last_text()
    assert (await questions(harness))[-1].engine != "context"


async def test_small_talk_is_declined_without_offering_staff(harness):
    await harness.say("pastāsti joku")
    assert harness.last_text() == harness.services.texts("lv", "out_of_scope.smalltalk")
    assert not [b for b in harness.buttons() if b["callback_data"].startswith("ho:")]


async def test_an_answer_with_a_caveat_offers_staff_in_one_tap(harness):
    await harness.say("vai programma vēl darbojas?")
    assert harness.services.kb.entry("fact_period").caveat.lv[:30] in harness.last_text()
    assert [b for b in harness.buttons() if b["callback_data"].startswith("ho:")]


async def test_a_follow_up_asking_for_a_detail_is_declined_in_context(harness):
    """After "how many projects?", "а в Риге?" asks for a figure by town: the presentation has only the total."""
    kb, texts = harness.services.kb, harness.services.texts
    await harness.say("cik projektu tika istenoti?")
    assert kb_answer(kb, "fact_projects", "lv") in harness.last_text()
    await harness.say("а в Риге?")
    assert harness.last_text().startswith(texts("ru", "out_of_scope.specific.intro",
                                                detail=texts("ru", "out_of_scope.specific.by_region")))
    last = (await questions(harness))[-1]
    assert (last.outcome, last.entry_id) == ("out_of_scope", "fact_projects")
