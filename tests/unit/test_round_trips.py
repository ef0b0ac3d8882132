"""Fewer database round trips per update (issue 8, NLU-down cost): read-only units of work, and the pool's
pre-ping in one round trip. Each must keep what it replaces: reads see committed data, nothing is written
outside a transaction, a connection goes back to the pool as it was taken."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.db.database import one_round_trip_ping
from bot.db.models import User
from bot.services import Services
from bot.uow import ReadOnlyError


async def test_a_read_only_unit_of_work_reads_what_was_committed(services: Services) -> None:
    async with services.uow() as uow:
        await uow.users.touch(42, "lv")
        await uow.commit()
    async with services.uow(read_only=True) as uow:
        user = await uow.users.get(42)
    assert user is not None and user.telegram_language == "lv"


async def test_a_read_only_unit_of_work_writes_nothing(services: Services) -> None:
    async with services.uow() as uow:
        await uow.users.touch(43, "lv")
        await uow.commit()
    async with services.uow(read_only=True) as uow:
        with pytest.raises(ReadOnlyError):
            await uow.commit()
        user = await uow.users.get(43)
        assert user is not None
        user.language = "ru"  # a change would be flushed (autocommitted) by the next query: refused
        with pytest.raises(ReadOnlyError):
            await uow.users.get(44)
    async with services.uow(read_only=True) as uow:
        user = await uow.users.get(43)
        with pytest.raises(ReadOnlyError):
            uow.session.add(User(id=45))
            await uow.flush()
    async with services.uow() as uow:
        assert (await uow.users.get(43)).language is None  # type: ignore[union-attr]
        assert await uow.users.get(45) is None


async def test_read_only_connections_go_back_to_the_pool_transactional(services: Services) -> None:
    """On PostgreSQL a read-only unit of work runs in autocommit (no BEGIN/ROLLBACK); the connection must not
    stay in autocommit for the next, writing unit of work — or its effects and the update's "processed" mark
    would no longer land together."""
    if services.engine is None or services.engine.dialect.name != "postgresql":
        pytest.skip("autocommit readers are a PostgreSQL thing (TEST_DATABASE_URL)")

    async def one_transaction(uow) -> bool:  # now() is the transaction's start: equal within one transaction
        first = (await uow.session.execute(text("SELECT now()"))).scalar_one()
        await uow.session.execute(text("SELECT pg_sleep(0.01)"))
        return bool(first == (await uow.session.execute(text("SELECT now()"))).scalar_one())

    for _ in range(3):  # the pool hands the same connections back
        async with services.uow(read_only=True) as uow:
            assert not await one_transaction(uow)  # no BEGIN: each statement on its own
        async with services.uow() as uow:
            assert await one_transaction(uow)


class _Adapter:
    """Stands in for SQLAlchemy's asyncpg connection adapter: records the autocommit state at ping time."""

    def __init__(self) -> None:
        self.autocommit = False
        self.pinged_in_autocommit: list[bool] = []


class _Dialect:
    def do_ping(self, connection: _Adapter) -> bool:
        connection.pinged_in_autocommit.append(connection.autocommit)
        return True


def test_the_pre_ping_runs_outside_a_transaction_and_restores_the_connection() -> None:
    dialect = _Dialect()
    one_round_trip_ping(dialect)
    adapter = _Adapter()
    assert dialect.do_ping(adapter) is True
    assert adapter.pinged_in_autocommit == [True]  # a bare ";" — not BEGIN ; ROLLBACK
    assert adapter.autocommit is False


def test_the_pre_ping_restores_the_connection_when_the_ping_fails() -> None:
    class Failing(_Dialect):
        def do_ping(self, connection: _Adapter) -> bool:
            raise ConnectionResetError

    dialect = Failing()
    one_round_trip_ping(dialect)
    adapter = _Adapter()
    with pytest.raises(ConnectionResetError):
        dialect.do_ping(adapter)
    assert adapter.autocommit is False


async def test_one_batch_is_stored_in_one_statement_and_only_new_updates_come_back(services: Services) -> None:
    def update(update_id: int) -> dict:
        return {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": "x",
                                                    "chat": {"id": 7, "type": "private"},
                                                    "from": {"id": 7, "is_bot": False, "first_name": "A"}}}

    assert [p["update_id"] for p in await services.inbox.store([update(2)])] == [2]
    statements: list[str] = []
    assert services.engine is not None
    listen = services.engine.sync_engine
    from sqlalchemy import event

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(listen, "before_cursor_execute", record)
    try:
        stored = await services.inbox.store([update(3), update(2), update(1), update(3)])
    finally:
        event.remove(listen, "before_cursor_execute", record)
    assert [p["update_id"] for p in stored] == [3, 1]  # 2 was there already; 3 twice in the batch is one update
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 1
    assert [p["update_id"] for p in await services.inbox.store([update(1), update(4)])] == [4]


async def test_seen_updates_an_existing_user_in_one_statement_and_creates_nobody(services: Services) -> None:
    from bot.db.models import utcnow

    async with services.uow() as uow:
        assert await uow.users.seen(50, "lv") is False  # no row: nothing written, the caller creates it
        user = await uow.users.touch(51, "lv")
        user.blocked_at = utcnow()
        user.awaiting = "handoff"
        await uow.commit()
    async with services.uow() as uow:
        assert await uow.users.seen(51, "ru", awaiting=None, awaiting_since=None) is True
        await uow.commit()
    async with services.uow(read_only=True) as uow:
        assert await uow.users.get(50) is None
        user = await uow.users.get(51)
        assert user is not None
        assert (user.telegram_language, user.blocked_at, user.awaiting) == ("ru", None, None)


async def test_what_a_question_needs_to_know_is_read_in_one_statement(services: Services) -> None:
    from datetime import timedelta

    from bot.db.models import Question, utcnow

    now = utcnow()
    async with services.uow(read_only=True) as uow:
        state = await uow.questions.asking(60, now - timedelta(seconds=5))
    assert (state.language, state.awaiting, state.recent, state.last_entry_id, state.last_at) == (None, None, 0, None, None)

    def question(entry_id: str | None, at, language: str = "lv") -> Question:
        return Question(user_id=60, chat_id=60, text="q", language=language, intent=None, confidence=0.0,
                        engine="lexical", outcome="answered", entry_id=entry_id, created_at=at)

    async with services.uow() as uow:
        user = await uow.users.touch(60, "lv")
        user.language, user.awaiting, user.awaiting_since = "ru", "handoff", now
        for item in (question("old", now - timedelta(minutes=5)), question("fact_budget", now - timedelta(seconds=2), "en"),
                     question(None, now - timedelta(seconds=1)), question("other", now - timedelta(seconds=1)),
                     question("x", now, "ru")):
            uow.questions.add(item)
        uow.questions.add(Question(user_id=61, chat_id=61, text="q", language="lv", intent=None, confidence=0.0,
                                   engine="lexical", outcome="answered", entry_id="y", created_at=now))
        await uow.commit()
    statements: list[str] = []
    from sqlalchemy import event

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    assert services.engine is not None
    event.listen(services.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with services.uow(read_only=True) as uow:
            state = await uow.questions.asking(60, now - timedelta(seconds=3))
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", record)
    assert len(statements) == 1
    assert (state.language, state.awaiting, state.recent) == ("ru", "handoff", 4)  # the 5-minute-old one is not recent
    assert (state.last_entry_id, state.last_language) == ("x", "ru")  # the newest answered, this user's


async def test_an_idle_connection_killed_by_the_server_is_replaced_before_use(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-ping runs for connections idle for a while (a PostgreSQL restart, an idle timeout): a dead one is
    replaced before a unit of work gets it. A connection just used is handed out without a ping."""
    engine = services.engine
    if engine is None or engine.dialect.name != "postgresql":
        pytest.skip("the pool's ping is a PostgreSQL thing (TEST_DATABASE_URL)")
    from bot.db import database

    async with engine.connect() as doomed, engine.connect():  # two pooled connections, both back in the pool after
        victim = (await doomed.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    outsider = create_async_engine(engine.url, poolclass=NullPool)  # ends one's backend, as a restart would
    try:
        async with outsider.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
    finally:
        await outsider.dispose()
    later = database._clock() + database.PING_WHEN_IDLE_FOR + 1  # both connections have been idle a while
    monkeypatch.setattr(database, "_clock", lambda: later)
    for user in (46, 47):  # both pooled connections are handed out in turn: one would be dead without the ping
        async with services.uow() as uow:
            await uow.users.touch(user, "lv")
            await uow.commit()


async def test_a_connection_just_used_is_handed_out_without_a_ping(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = services.engine
    if engine is None or engine.dialect.name != "postgresql":
        pytest.skip("the pool's ping is a PostgreSQL thing (TEST_DATABASE_URL)")
    pings: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or ping(connection))
    for user in (48, 49, 50):  # a busy bot: each checkout right after the previous check-in
        async with services.uow() as uow:
            await uow.users.touch(user, "lv")
            await uow.commit()
    assert pings == []


async def test_a_known_users_question_is_recorded_with_the_updates_mark_in_one_statement(services: Services) -> None:
    """PostgreSQL: the user's row, the question and the inbox mark in one statement — all of them, or (no row for
    the user yet) none of them. Elsewhere `record_known` declines and the caller takes the transactional path."""
    from sqlalchemy import event, select

    from bot.db.inbox import PROCESSING, Processing
    from bot.db.models import InboxUpdate, Question, utcnow

    engine = services.engine
    assert engine is not None

    def question(user_id: int) -> Question:
        return Question(user_id=user_id, chat_id=user_id, text="cik liels budžets?", language="lv", intent="fact_budget",
                        confidence=0.91, engine="rasa", outcome="answered", entry_id="fact_budget", offered=None)

    payload = {"update_id": 901, "message": {"message_id": 1, "date": 0, "text": "x", "chat": {"id": 70, "type": "private"},
                                             "from": {"id": 70, "is_bot": False, "first_name": "A"}}}
    await services.inbox.store([payload, {**payload, "update_id": 902}])
    async with services.uow() as uow:
        user = await uow.users.touch(70, "lv")
        user.blocked_at, user.awaiting = utcnow(), "handoff"
        await uow.commit()

    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    processing = Processing(901)
    token = PROCESSING.set(processing)
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with services.uow(one_statement=True) as uow:
            question_id = await uow.questions.record_known(question(70), "ru", None, None, uow.unmarked_update)
            unknown = await uow.questions.record_known(question(71), "ru", None, None, 902)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        PROCESSING.reset(token)

    async with services.uow(read_only=True) as uow:
        stored = (await uow.session.execute(select(Question).order_by(Question.id))).scalars().all()
        marks = dict((await uow.session.execute(select(InboxUpdate.update_id, InboxUpdate.processed_at))).all())
        user = await uow.users.get(70)
    if engine.dialect.name != "postgresql":
        assert question_id is None and unknown is None and stored == [] and all(v is None for v in marks.values())
        return
    assert len(statements) == 2  # one each: no BEGIN, no separate UPDATE/INSERT/COMMIT
    assert unknown is None  # no row for user 71: no question, and update 902 is not marked either
    assert [(q.id, q.user_id, q.text, q.intent, q.confidence, q.entry_id) for q in stored] == [
        (question_id, 70, "cik liels budžets?", "fact_budget", 0.91, "fact_budget")]
    assert marks[901] is not None and marks[902] is None
    assert user is not None and (user.telegram_language, user.blocked_at, user.awaiting) == ("ru", None, None)
