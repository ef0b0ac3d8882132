"""bot.teaching with fakes: the knowledge base is swapped whole, a question in flight finishes on the old one,
a broken edit never replaces a working knowledge base, and the admin hears how the retraining went."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime

import pytest

from bot.nlu_client import IntentScore, NluResult
from bot.staff.render import model_block
from bot.teaching import ModelStatus, read_status
from knowledge.loader import DEFAULT_DATA_DIR


@pytest.fixture
async def live(settings, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DATA_DIR, knowledge)
    settings.knowledge_dir = knowledge
    from bot.app import build_services, close_services

    services = await build_services(settings, use_nlu=False)
    yield services
    await close_services(services)


def touch_kb(services) -> None:
    path = sorted((services.settings.knowledge_dir / "entries").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\n# staff edit\n", encoding="utf-8")


class Gateway:
    def __init__(self, payload: dict | None) -> None:
        self.payload = payload

    async def status(self) -> dict | None:
        return self.payload

    async def aclose(self) -> None:
        return None


class BlockingNlu:
    def __init__(self) -> None:
        self.called = asyncio.Event()
        self.release = asyncio.Event()

    async def parse(self, text: str, again: bool = False) -> NluResult:
        self.called.set()
        await self.release.wait()
        return NluResult((IntentScore("fact_budget", 0.95),))


async def test_a_question_in_flight_finishes_on_the_knowledge_base_it_started_with(live) -> None:
    nlu = BlockingNlu()
    live.qa._nlu = nlu
    old_kb = live.kb
    asking = asyncio.ensure_future(live.questions.ask(5001, 5001, "kāds bija budžets?", "lv"))
    await nlu.called.wait()
    touch_kb(live)
    assert await live.teaching.reload()
    assert live.kb is not old_kb and live.qa.kb is live.kb and live.qa._nlu is nlu  # same NLU client kept
    nlu.release.set()
    asked = await asking
    assert asked.result is not None and asked.result.entry is old_kb.entry("fact_budget")
    nlu.called.clear()
    nlu.release.set()
    again = await live.questions.ask(5001, 5001, "kāds bija budžets?", "lv")
    assert again.result is not None and again.result.entry is live.kb.entry("fact_budget")


async def test_an_unchanged_folder_is_not_reloaded(live) -> None:
    before = live.qa
    assert not await live.teaching.reload()
    assert live.qa is before


async def test_a_knowledge_base_that_does_not_load_never_replaces_the_working_one(live, caplog) -> None:
    before = live.qa
    (live.settings.knowledge_dir / "entries" / "broken.yaml").write_text("entries: [{id: 1}]\n", encoding="utf-8")
    assert not await live.teaching.reload()
    assert live.qa is before and "does not load" in caplog.text


async def test_a_failed_training_tells_the_admin_why(live) -> None:
    version = live.knowledge_version
    gateway = Gateway({"model_file": "m", "serving": {"model": {"knowledge": "old"}, "training": {
        "state": "failed", "knowledge": version, "error": "rasa train nlu failed: <ValueError> no examples"}}})
    live.nlu = gateway
    live.teaching.waiting[1001] = "en"
    sent: list[tuple[int, str]] = []

    async def send(chat: int, text: str) -> bool:
        sent.append((chat, text))
        return True

    assert await live.teaching.poll(send) == 1
    [(chat, text)] = sent
    assert chat == 1001 and "previous model keeps answering" in text
    assert "&lt;ValueError&gt; no examples</pre>" in text  # the log tail, escaped
    assert await live.teaching.poll(send) == 0 and live.teaching.waiting == {}


async def test_a_plain_rasa_without_the_gateway_is_said_not_to_retrain(live) -> None:
    live.nlu = Gateway({"model_file": "m"})
    live.teaching.waiting[1001] = "lv"
    sent: list[str] = []

    async def send(chat: int, text: str) -> bool:
        sent.append(text)
        return True

    await live.teaching.poll(send)
    assert len(sent) == 1 and "make train" in sent[0]


async def test_nobody_is_told_anything_while_the_nlu_server_is_down(live) -> None:
    live.nlu = Gateway(None)
    live.teaching.waiting[1001] = "lv"

    async def send(chat: int, text: str) -> bool:
        raise AssertionError("nothing to say yet")

    assert await live.teaching.poll(send) == 0 and live.teaching.waiting == {1001: "lv"}


@pytest.mark.parametrize("payload", [None, {}, {"serving": "x"}, {"model_file": "m", "serving": {"model": 3}},
                                     {"model_file": "m", "serving": {"model": {"trained_at": "yesterday"}}}])
def test_odd_status_payloads_never_raise(payload) -> None:
    status = read_status(payload)
    assert status.trained_at is None


def test_the_model_age_in_stats(live) -> None:
    texts = live.texts
    status = ModelStatus(True, datetime(2026, 12, 1, 10, 0, tzinfo=UTC), knowledge="k")
    now = datetime(2026, 12, 3, 13, 30, tzinfo=UTC)
    assert model_block(status, "k", texts, "en", now) == "🧠 NLU model trained 2026-12-01 10:00 UTC (2 d 3 h ago)"
    assert "nav sasniedzams" in model_block(ModelStatus(False), "k", texts, "lv", now)
    failed = ModelStatus(True, None, knowledge="old", training="failed", training_knowledge="k")
    assert "неизвестно" in model_block(failed, "k", texts, "ru", now) and "не удалось" in model_block(failed, "k", texts, "ru", now)


async def test_an_assignment_already_reloaded_by_the_job_still_counts_as_reloaded(live) -> None:
    touch_kb(live)
    assert await live.teaching.reload()  # the job got there first
    assert await live.teaching.taught(1001, "lv")
