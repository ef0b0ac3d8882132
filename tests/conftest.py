"""Shared fixtures. The fast tests never touch the network: the Bot API is `OfflineBotApi`, the NLU is a
fake or the in-process lexical matcher, the database is a fresh SQLite file per test — or, when
TEST_DATABASE_URL names a PostgreSQL database (CI sets one), that database with a fresh schema per test."""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_application, build_services, close_services
from bot.config import Settings
from bot.db.models import Question
from bot.offline import OfflineBotApi, UpdateFactory
from bot.services import Services
from knowledge.loader import KnowledgeBase, load_knowledge_base


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


async def reset_postgres_schema(url: str) -> None:
    """An empty `public` schema, so that the migrations run from scratch as on a new server."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    if TEST_DATABASE_URL:
        await reset_postgres_schema(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=None,
        database_url=database_url,
        nlu_url="http://127.0.0.1:9",  # nothing listens there: tests that want Rasa use a fake or the real one
        admin_ids="1001",
        # Handler tests set Rasa's scores exactly (FakeNlu) to drive a flow ("did you mean", a decline); blending in
        # the lexical matcher would move them. The blend is tested in tests/unit/test_qa_decisions.py, end to end
        # with the real Rasa in tests/integration, and measured by `make eval`.
        nlu_lexical_weight=0.0,
    )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await build_services(settings, use_nlu=False)
    yield services
    await close_services(services)


class Harness:
    """A real PTB Application on the offline Bot API, with an update factory for one user."""

    def __init__(self, application, api: OfflineBotApi, services: Services) -> None:
        self.app = application
        self.api = api
        self.services = services
        self.user = UpdateFactory(application.bot, user_id=5001, language_code="lv")

    async def last_question(self) -> Question | None:
        """The question the bot logged last."""
        async with self.services.uow() as uow:
            return (await uow.session.execute(select(Question).order_by(Question.id.desc()))).scalars().first()

    def as_user(self, user_id: int, language_code: str | None = "lv") -> UpdateFactory:
        return UpdateFactory(self.app.bot, user_id=user_id, language_code=language_code)

    async def send(self, update) -> list:
        self.api.clear()
        await self.app.process_update(update)
        return self.api.calls

    async def say(self, text: str, factory: UpdateFactory | None = None) -> list:
        return await self.send((factory or self.user).message(text))

    async def press(self, data: str, factory: UpdateFactory | None = None) -> list:
        return await self.send((factory or self.user).callback(data))

    def last_text(self) -> str:
        texts = [call.text for call in self.api.sent]
        return texts[-1] if texts else ""

    def buttons(self) -> list[dict]:
        for call in reversed(self.api.calls):
            if call.buttons:
                return call.buttons
        return []


@asynccontextmanager
async def running_harness(settings: Settings, services: Services, api: OfflineBotApi | None = None
                          ) -> AsyncIterator[Harness]:
    """The bot's Application over `services`, started, on an offline Bot API (`api`, or a plain OfflineBotApi)."""
    api = api if api is not None else OfflineBotApi()
    application = build_application(settings, services, request=api, rate_limit=False)
    async with application:
        yield Harness(application, api, services)


@asynccontextmanager
async def harness_on(settings: Settings, use_nlu: bool = True) -> AsyncIterator[Harness]:
    """One bot process: Services of its own (engine, connections, NLU client), closed afterwards."""
    services = await build_services(settings, use_nlu=use_nlu)
    try:
        async with running_harness(settings, services) as harness:
            yield harness
    finally:
        await close_services(services)


@pytest.fixture
async def harness(settings: Settings, services: Services) -> AsyncIterator[Harness]:
    async with running_harness(settings, services) as harness:
        yield harness


def kb_answer(kb: KnowledgeBase, entry_id: str, language: str) -> str:
    """The start of an entry's answer as the bot renders it (HTML-escaped), read from the knowledge base the test
    runs with — so code tests check *which* entry answered, not the shipped wording (editing an answer in
    knowledge/data must not break them)."""
    from bot.formatting import escape

    entry = kb.entry(entry_id)
    assert entry is not None, entry_id
    return escape(entry.answer.get(language).split("\n")[0][:40])


def pytest_terminal_summary(terminalreporter) -> None:
    """The fuzz suite's per-update times (tests/fuzz/rig.py): reported, never asserted."""
    import sys

    rig = sys.modules.get("tests.fuzz.rig")
    if rig is not None and rig.STATS.updates:
        terminalreporter.write_line(rig.STATS.line())


def _uses_the_database(item: pytest.Item) -> bool:
    """A test that runs on the test database: through the `database_url` fixture (settings, services, harness …),
    or in a module that reads TEST_DATABASE_URL itself (the fuzz rig, the invitation crash tests)."""
    if "database_url" in getattr(item, "fixturenames", ()):
        return True
    path = getattr(item, "path", None)
    return path is not None and "TEST_DATABASE_URL" in _module_text(str(path))


@functools.cache
def _module_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """DATABASE_TESTS_ONLY=1 (make test-postgres): only the tests that touch the database — the rest (knowledge,
    matching, texts, charts …) already ran in `make test` and would run the same again on PostgreSQL."""
    if os.environ.get("DATABASE_TESTS_ONLY") != "1":
        return
    keep = [item for item in items if _uses_the_database(item)]
    if len(keep) < len(items):
        kept = {id(item) for item in keep}
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept])
        items[:] = keep
