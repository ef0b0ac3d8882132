"""Staff teaching through the real Application: an /unanswered question assigned to an entry changes the bot's
answer at once (the knowledge base reloads in place; here the lexical matcher answers, as when Rasa is down), the
admin is told so, and the job tells the admin when the retrained NLU model answers. The same with the real Rasa
and the NLU gateway: tests/integration/test_teaching_end_to_end.py."""

from __future__ import annotations

import shutil

import pytest

from knowledge.loader import DEFAULT_DATA_DIR
from tests.conftest import Harness, kb_answer, running_harness

ADMIN = 1001
QUESTION = "kā klājās zilajiem ziloņiem"


@pytest.fixture
async def teach(settings, services, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DATA_DIR, knowledge)
    settings.knowledge_dir = knowledge
    async with running_harness(settings, services) as harness:
        yield harness


class FakeGateway:
    """The NLU gateway's /status: which knowledge base the serving model was trained from, the last training."""

    def __init__(self) -> None:
        self.payload: dict | None = {"model_file": "current.tar.gz", "serving": {
            "model": {"knowledge": "old", "trained_at": "2026-12-01T10:00:00+00:00"}, "training": {"state": "running"}}}

    async def status(self) -> dict | None:
        return self.payload

    async def aclose(self) -> None:
        return None


async def question_id(harness: Harness) -> int:
    from sqlalchemy import select

    from bot.db.models import Question

    async with harness.services.uow() as uow:
        rows = (await uow.session.execute(select(Question).where(Question.text == QUESTION))).scalars().all()
    return rows[-1].id


async def test_an_assignment_changes_the_answer_without_a_restart(teach) -> None:
    kb_before = teach.services.kb
    await teach.say(QUESTION)
    assert kb_answer(kb_before, "fact_budget", "lv") not in teach.last_text()
    qid = await question_id(teach)
    admin = teach.as_user(ADMIN)
    await teach.press(f"adm:a:{qid}:fact_budget", admin)
    assert "pievienots kā piemērs (lv)" in teach.last_text() and "pārlādēta" in teach.last_text()
    assert teach.services.kb is not kb_before and teach.services.qa.kb is teach.services.kb
    await teach.say(QUESTION)
    assert kb_answer(teach.services.kb, "fact_budget", "lv") in teach.last_text()


async def test_the_admin_hears_when_the_retrained_model_answers(teach) -> None:
    gateway = FakeGateway()
    teach.services.nlu = gateway  # before the teaching use case is first built
    await teach.say(QUESTION)
    qid = await question_id(teach)
    await teach.press(f"adm:a:{qid}:fact_budget", teach.as_user(ADMIN, "en"))
    assert "retraining in the background" in teach.last_text()
    job = next(job for job in teach.app.job_queue.jobs() if job.name == "teaching")
    teach.api.clear()
    await job.run(teach.app)
    assert teach.api.sent == []  # still training
    gateway.payload["serving"]["model"]["knowledge"] = teach.services.knowledge_version
    await job.run(teach.app)
    [message] = teach.api.sent
    assert int(message.params["chat_id"]) == ADMIN and "has been retrained" in message.text
    teach.api.clear()
    await job.run(teach.app)
    assert teach.api.sent == []  # told once


async def test_the_job_reloads_a_knowledge_base_edited_outside_the_bot(teach) -> None:
    before = teach.services.qa
    entries = teach.services.settings.knowledge_dir / "entries"
    path = sorted(entries.glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited by another bot process\n", encoding="utf-8")
    job = next(job for job in teach.app.job_queue.jobs() if job.name == "teaching")
    await job.run(teach.app)
    assert teach.services.qa is not before


async def test_stats_shows_the_models_age(teach) -> None:
    teach.services.nlu = FakeGateway()
    await teach.say("/stats", teach.as_user(ADMIN, "en"))
    text = teach.api.sent[-1].text
    assert "NLU model trained 2026-12-01 10:00 UTC" in text and "ago" in text
    assert "Retraining with the latest examples." in text
