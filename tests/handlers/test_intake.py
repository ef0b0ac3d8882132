"""Nothing lost, nothing doubled: durable intake and idempotent processing, in polling and in webhook mode.

Both paths run the real Application (chat-ordered processor, handlers, database) on an offline Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import build_application
from bot.db.models import InboxUpdate, Question
from bot.offline import OfflineBotApi
from bot.serving.polling import poll
from bot.serving.webhook import SECRET_HEADER, create_app

SECRET = "s3cret-token_1"


def message(update_id: int, text: str, user_id: int = 4242) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Anna", "language_code": "lv"}, "text": text}}


class PollingBotApi(OfflineBotApi):
    """getUpdates hands out `deliveries` (lists of updates) one per call — a list may repeat an update, as
    Telegram does when it never got the confirmation."""

    def __init__(self) -> None:
        super().__init__()
        self.deliveries: list[list[dict[str, Any]]] = []
        self.offsets: list[int | None] = []

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getUpdates":
            self.offsets.append(params.get("offset"))
            return self.deliveries.pop(0) if self.deliveries else []
        return super()._result(method, params)


@contextlib.asynccontextmanager
async def running(settings, services, api):
    application = build_application(settings, services, request=api, rate_limit=False)
    async with application:
        await application.start()
        try:
            yield application
        finally:
            await application.stop()


async def settle(application, api: PollingBotApi | None = None) -> None:
    """Until every delivery was fetched and every queued update processed."""
    for _ in range(500):
        if api is None or not api.deliveries:
            break
        await asyncio.sleep(0.01)
    await asyncio.wait_for(application.update_queue.join(), timeout=20)


async def count(services, model) -> int:
    async with services.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


def answers(api: OfflineBotApi) -> list[str]:
    return [call.text for call in api.by_method("sendMessage")]


async def run_polling(settings, services, api: PollingBotApi) -> None:
    async with running(settings, services, api) as application:
        stop = asyncio.Event()
        task = asyncio.create_task(poll(application, services.inbox, stop, timeout=0))
        try:
            await settle(application, api)
            await asyncio.sleep(0.05)
            await settle(application)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)


async def test_polling_stores_before_confirming_and_answers_a_redelivered_update_once(settings, services):
    api = PollingBotApi()
    api.deliveries = [[message(10, "kads bija programmas budzets?")], [message(10, "kads bija programmas budzets?")]]
    await run_polling(settings, services, api)
    assert len(answers(api)) == 1
    assert await count(services, Question) == 1
    assert 11 in api.offsets  # update 10 was confirmed only by the call after it was stored
    async with services.uow() as uow:
        row = await uow.session.get(InboxUpdate, 10)
    assert row is not None and row.processed_at is not None and row.payload is None and row.user_id is None


async def test_stored_but_unprocessed_updates_are_processed_first_after_a_restart(settings, services):
    # The previous process stored update 20 and died before processing it.
    assert [p["update_id"] for p in await services.inbox.store([message(20, "kads bija programmas budzets?")])] == [20]
    api = PollingBotApi()
    api.deliveries = [[message(20, "kads bija programmas budzets?"), message(21, "paldies")]]  # 20 redelivered
    await run_polling(settings, services, api)
    texts = answers(api)
    assert len(texts) == 2  # 20 once (from the inbox, not again from Telegram), then 21
    async with services.uow() as uow:
        questions = list((await uow.session.execute(select(Question).order_by(Question.id))).scalars())
    assert [q.text for q in questions] == ["kads bija programmas budzets?", "paldies"]


async def test_an_update_whose_effects_committed_is_not_processed_again(settings, services):
    """The processed mark is part of the effects' transaction: after the question row is committed the update
    counts as done, even if the process died before its own "finished" step."""
    from bot.db.inbox import PROCESSING, Processing

    await services.inbox.store([message(30, "kads bija programmas budzets?")])
    token = PROCESSING.set(Processing(30))
    try:
        await services.questions.ask(4242, 4242, "kads bija programmas budzets?", "lv")
    finally:
        PROCESSING.reset(token)
    assert await services.inbox.unfinished(after_restart=True) == []


async def test_a_running_replica_does_not_take_back_the_updates_it_is_processing(services):
    """The periodic look for unprocessed updates must not take this replica's own: they are queued or being
    processed right now, and taking them again answered them twice under load (found by `make bench-load`)."""
    from datetime import timedelta

    from bot.intake import Inbox

    await services.inbox.store([message(60, "kads bija programmas budzets?"), message(61, "paldies")])
    assert await services.inbox.unfinished(after_restart=False) == []  # in flight here
    other = Inbox(services.uow, "another-replica")
    assert await other.unfinished(after_restart=True) == []  # claimed by a live replica (its lease runs)
    assert [p["update_id"] for p in await services.inbox.unfinished(after_restart=True)] == [60, 61]  # restarted
    expired = Inbox(services.uow, "another-replica", lease=timedelta(0))  # the claiming replica died long ago
    await services.inbox.store([message(62, "paldies")])
    assert [p["update_id"] for p in await expired.unfinished(after_restart=False)] == [60, 61, 62]
    assert await services.inbox.unfinished(after_restart=True) == []  # now claimed by the other one


@pytest.fixture
async def webhook(settings, services):
    api = OfflineBotApi()
    async with running(settings, services, api) as application:
        app = create_app(application, services, "/telegram", SECRET)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
            yield client, application, api


async def test_webhook_refuses_a_wrong_or_missing_secret_and_stores_nothing(webhook, services):
    client, _, api = webhook
    update = message(40, "kads bija programmas budzets?")
    assert (await client.post("/telegram", json=update)).status_code == 403
    assert (await client.post("/telegram", json=update, headers={SECRET_HEADER: "wrong"})).status_code == 403
    assert await count(services, InboxUpdate) == 0
    assert answers(api) == []


async def test_webhook_processes_an_update_once_even_when_delivered_again(webhook, services):
    client, application, api = webhook
    update = message(41, "kads bija programmas budzets?")
    for _ in range(2):
        response = await client.post("/telegram", content=json.dumps(update), headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200
        await settle(application)
    assert len(answers(api)) == 1
    assert await count(services, Question) == 1
    bad = await client.post("/telegram", content=b"{not json", headers={SECRET_HEADER: SECRET})
    assert bad.status_code == 400


async def test_health_readiness_and_metrics(webhook, services):
    client, application, _ = webhook
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    await client.post("/telegram", json=message(42, "kads bija programmas budzets?"), headers={SECRET_HEADER: SECRET})
    await settle(application)
    metrics = (await client.get("/metrics")).text
    assert 'bot_updates_received_total{source="webhook"} 1.0' in metrics
    assert "bot_update_seconds_count 1.0" in metrics
    assert "bot_updates_in_flight 0.0" in metrics


async def test_replicas_starting_together_migrate_one_after_the_other(database_url):
    """Two processes' migrations at once (two replicas started together) must not collide (PostgreSQL, SQLite)."""
    import asyncio as aio

    from bot.db.database import create_engine, migrate

    engines = [create_engine(database_url), create_engine(database_url)]
    try:
        await aio.gather(*(migrate(engine) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_new_sqlite_file_locked_by_another_process_still_migrates(tmp_path):
    """SQLite refuses to switch a file to WAL at once ('database is locked', no busy wait) while another connection
    holds a write lock on it in rollback mode — what a second replica meets when the first is migrating a new
    file. The second one waits for the lock instead of failing its start (CI saw this race on stop 21)."""
    import asyncio as aio
    import sqlite3

    from sqlalchemy import text

    from bot.db.database import create_engine, migrate

    path = tmp_path / "shared.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE other_process (x)")
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        release = aio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
        await migrate(engine)
        release.cancel()
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM update_inbox"))).scalar_one() == 0
    finally:
        other.close()
        await engine.dispose()
    again = create_engine(f"sqlite+aiosqlite:///{path}")  # the next connection converts the file
    try:
        async with again.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
    finally:
        await again.dispose()


async def test_a_stored_update_names_its_user_until_processed_and_forget_removes_it(services):
    await services.inbox.store([message(50, "kads bija programmas budzets?", user_id=777)])
    async with services.uow() as uow:
        assert (await uow.personal_data.collect(777)).pending_updates == 1
        assert (await uow.personal_data.forget(777))["update_inbox"] == 1
        await uow.commit()
    assert await services.inbox.unfinished(after_restart=True) == []


async def test_readiness_fails_when_the_database_does_not_answer(settings, services):
    import dataclasses

    from sqlalchemy.ext.asyncio import create_async_engine

    broken = create_async_engine("postgresql+asyncpg://user:pw@127.0.0.1:1/db")
    app = create_app(None, dataclasses.replace(services, engine=broken), "/telegram", SECRET)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
            response = await client.get("/readyz")
            assert (await client.get("/healthz")).status_code == 200  # alive, just not ready
    finally:
        await broken.dispose()
    assert response.status_code == 503 and response.json()["database"].startswith("unavailable")
