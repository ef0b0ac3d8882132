"""Concurrency with order (bot.serving.processor) and the per-user flood limits (bot.questions, bot.handoff)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.db.models import HandoffRequest, Question
from bot.offline import UpdateFactory
from bot.serving.processor import ChatOrderedProcessor


async def test_one_chat_in_order_while_other_chats_run_concurrently():
    processor = ChatOrderedProcessor(8)
    anna, ben = UpdateFactory(None, user_id=1), UpdateFactory(None, user_id=2)
    log: list[str] = []
    ben_ran = asyncio.Event()

    async def anna_first() -> None:
        log.append("anna1 start")
        await ben_ran.wait()  # only finishes if Ben's update runs meanwhile (sequential processing would hang)
        log.append("anna1 end")

    async def anna_second() -> None:
        log.append("anna2")

    async def ben_only() -> None:
        log.append("ben")
        ben_ran.set()

    await asyncio.wait_for(asyncio.gather(
        processor.process_update(anna.message("1"), anna_first()),
        processor.process_update(anna.message("2"), anna_second()),
        processor.process_update(ben.message("x"), ben_only()),
    ), timeout=10)
    assert log.index("anna1 end") < log.index("anna2")  # Anna's second update waited for her first
    assert log.index("ben") < log.index("anna1 end")  # Ben did not wait for Anna
    assert not processor._locks  # no per-chat lock left behind


async def test_in_flight_updates_are_bounded():
    processor = ChatOrderedProcessor(2)
    running = peak = 0
    release = asyncio.Event()

    async def work() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1

    tasks = [asyncio.create_task(processor.process_update(UpdateFactory(None, user_id=i).message("q"), work()))
             for i in range(6)]
    for _ in range(20):
        await asyncio.sleep(0)
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
    assert peak == 2


async def test_too_many_questions_too_fast_get_a_polite_answer_in_the_users_language(harness):
    en = harness.as_user(7001, "en")
    for _ in range(5):
        await harness.say("What was the programme budget?", en)
        assert harness.last_text() != harness.services.texts("en", "limits.questions")
    await harness.say("What was the programme budget?", en)
    assert harness.last_text() == harness.services.texts("en", "limits.questions")
    async with harness.services.uow() as uow:
        stored = (await uow.session.execute(select(func.count()).select_from(Question))).scalar_one()
    assert stored == 5  # the refused message is not recorded
    other = harness.as_user(7002, "ru")
    await harness.say("Какой был бюджет программы?", other)  # another user is not limited
    assert harness.last_text() != harness.services.texts("ru", "limits.questions")


async def test_at_most_three_open_requests_to_staff(harness):
    for number in range(4):
        await harness.say(f"Kad ir nākamā konkursa pieteikumu termiņš {number}?")
        [offer] = harness.buttons()
        await harness.press(offer["callback_data"])
    assert harness.last_text() == harness.services.texts("lv", "limits.handoffs")
    async with harness.services.uow() as uow:
        requests = (await uow.session.execute(select(func.count()).select_from(HandoffRequest))).scalar_one()
    assert requests == 3


async def test_a_question_typed_for_staff_is_refused_beyond_three_open_requests(harness):
    from tests.fakes import FakeNlu

    harness.services.qa._nlu = FakeNlu({"gribu runāt ar cilvēku": [("human_handoff", 0.97)]})
    async with harness.services.uow() as uow:
        await uow.users.touch(5001, "lv")
        for number in range(3):
            uow.handoffs.add(HandoffRequest(user_id=5001, chat_id=5001, text=f"q{number}", language="lv"))
        await uow.commit()
    await harness.say("gribu runāt ar cilvēku")
    await harness.say("Vai varam pieteikt projektu kopā ar skolu?")
    assert harness.last_text() == harness.services.texts("lv", "limits.handoffs")
    async with harness.services.uow() as uow:
        requests = (await uow.session.execute(select(func.count()).select_from(HandoffRequest))).scalar_one()
        user = await uow.users.get(5001)
    assert requests == 3 and user.awaiting is None  # the next message is a question for the bot again


async def test_no_database_connection_is_held_while_the_nlu_classifies(harness):
    """64 questions waiting for Rasa must not pin 64 pooled connections: classify with no transaction open."""
    from bot.nlu_client import IntentScore, NluResult

    pool = harness.services.engine.sync_engine.pool
    held: list[int] = []

    class WatchingNlu:
        async def parse(self, text: str, again: bool = False) -> NluResult:
            held.append(pool.checkedout())
            return NluResult((IntentScore("fact_budget", 0.9),))

    harness.services.qa._nlu = WatchingNlu()
    await harness.say("kads bija programmas budzets?")
    assert held == [0]
