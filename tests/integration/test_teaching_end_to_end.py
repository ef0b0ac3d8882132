"""Staff teaching with the real NLU gateway and Rasa: an /unanswered question assigned to an entry changes the
bot's answer *from Rasa* without restarting anything — the gateway sees the knowledge base change, retrains in the
background and swaps the new model in; the admin is told when it answers.

Everything runs on copies (knowledge base, model) in a temporary folder, with a 1 s debounce. One training
(≈ 20–120 s here) and one model load; needs `.venv-nlu` and a trained model like test_rasa_end_to_end.py.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from knowledge.loader import DEFAULT_DATA_DIR
from tests.conftest import Harness, harness_on, kb_answer
from tests.local import MODEL, free_port, nlu_server, require_trained_rasa

pytestmark = pytest.mark.integration

ADMIN = 1001
QUESTION = "kā klājās zilajiem ziloņiem"  # nonsense no entry covers: nothing in the model answers it yet
TAUGHT = "fact_budget"
DEADLINE = 480  # seconds for training + loading the new model on a busy CI machine


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[dict[str, str]]:
    require_trained_rasa()
    root = tmp_path_factory.mktemp("teaching")
    shutil.copytree(DEFAULT_DATA_DIR, root / "knowledge")
    (root / "models").mkdir()
    for path in MODEL.parent.glob("current.*"):
        shutil.copy2(path, root / "models" / path.name)
    env = {**os.environ, "NLU_URL": f"http://127.0.0.1:{free_port()}", "NLU_TOKEN": "teaching-test",
           "NLU_RUN_DIR": str(root / "run"), "NLU_MODELS_DIR": str(root / "models"),
           "KNOWLEDGE_DIR": str(root / "knowledge"), "NLU_TRAIN_DEBOUNCE": "1",
           "NLU_INTERNAL_PORTS": f"{free_port()},{free_port()}"}
    try:
        with nlu_server(env):
            yield env
    finally:
        print((root / "run" / "nlu-gateway.log").read_text(errors="replace")[-3000:])


@pytest.fixture
async def teach(gateway, tmp_path) -> AsyncIterator[Harness]:
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'teach.db'}",
                        nlu_url=gateway["NLU_URL"], nlu_token=gateway["NLU_TOKEN"], admin_ids="1001",
                        knowledge_dir=Path(gateway["KNOWLEDGE_DIR"]))
    async with harness_on(settings) as harness:
        yield harness


async def test_an_assignment_from_unanswered_changes_rasas_answer_without_a_restart(teach) -> None:
    await teach.say(QUESTION)
    before = await teach.last_question()
    assert before.engine == "rasa" and before.entry_id != TAUGHT

    admin = teach.as_user(ADMIN, "en")
    await teach.press(f"adm:a:{before.id}:{TAUGHT}", admin)
    assert "has been reloaded" in teach.last_text() and "retraining in the background" in teach.last_text()

    job = next(job for job in teach.app.job_queue.jobs() if job.name == "teaching")
    started = time.monotonic()
    told: list[str] = []
    while not told and time.monotonic() - started < DEADLINE:
        await asyncio.sleep(2)
        teach.api.clear()
        await job.run(teach.app)
        told = [call.text for call in teach.api.sent if int(call.params["chat_id"]) == ADMIN]
    print(f"taught → the new model answers: {time.monotonic() - started:.0f} s")
    assert told and "has been retrained" in told[0], told

    await teach.say(QUESTION)
    after = await teach.last_question()
    assert after.engine == "rasa" and after.entry_id == TAUGHT
    assert kb_answer(teach.services.kb, TAUGHT, "lv") in teach.last_text()

    await teach.say("/stats", admin)
    assert "NLU model trained" in teach.api.sent[-1].text and "Retraining" not in teach.api.sent[-1].text
