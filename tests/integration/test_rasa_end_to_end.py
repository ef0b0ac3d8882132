"""End to end with the real Rasa server: trained model → `rasa run --enable-api` → bot handlers.

Needs `.venv-nlu` and a trained model (`make train`); `make test` provides both and sets REQUIRE_RASA=1 so
that a missing model fails the run instead of silently skipping it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.config import Settings
from tests.conftest import Harness, harness_on
from tests.local import free_port, nlu_server, require_trained_rasa

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rasa_server(tmp_path_factory) -> Iterator[tuple[str, str]]:
    require_trained_rasa()
    url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "NLU_URL": url, "NLU_TOKEN": secrets.token_hex(8),
           "NLU_RUN_DIR": str(tmp_path_factory.mktemp("rasa-run"))}
    with nlu_server(env):
        yield url, env["NLU_TOKEN"]


@pytest.fixture
async def rasa_harness(rasa_server, tmp_path) -> AsyncIterator[Harness]:
    url, token = rasa_server
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
                        nlu_url=url, nlu_token=token)
    async with harness_on(settings) as harness:
        yield harness


@pytest.mark.parametrize(
    ("text", "expected", "language"),
    [
        ("Cik liels bija programmas budžets?", "2,8 miljoni eiro", "lv"),
        ("kads bija programmas budzets?", "2,8 miljoni eiro", "lv"),
        ("Какой был бюджет у программы?", "2,8 млн евро", "ru"),
        ("How big was the programme budget?", "EUR 2.8 million", "en"),
        ("cik dalibnieku bija programma", "326", "lv"),
        ("С каким количеством партнёров сотрудничала программа?", "66", "ru"),
    ],
)
async def test_real_questions_are_answered_through_rasa(rasa_harness, text, expected, language):
    await rasa_harness.say(text)
    assert expected in rasa_harness.last_text()
    question = await rasa_harness.last_question()
    assert (question.engine, question.language, question.outcome) == ("rasa", language, "answer")


@pytest.mark.parametrize(
    "text",
    ["Kad būs nākamā konkursa termiņš?", "What is the maximum grant per project?", "Какой телефон у офиса программы?"],
)
async def test_questions_the_presentation_does_not_answer_are_declined(rasa_harness, text):
    await rasa_harness.say(text)
    question = await rasa_harness.last_question()
    assert question.engine == "rasa"
    assert question.outcome in ("out_of_scope", "clarify"), question.outcome
    if question.outcome == "out_of_scope":
        assert rasa_harness.buttons()[0]["callback_data"].startswith("ho:")


async def test_greeting_goes_through_rasa(rasa_harness):
    await rasa_harness.say("Labdien!")
    question = await rasa_harness.last_question()
    assert (question.engine, question.outcome) == ("rasa", "greet")
