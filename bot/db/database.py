"""Engine and session factory, plus running the Alembic migrations at start-up."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_engine(url: str, pool_size: int = 10, max_overflow: int = 20) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and enforced foreign keys so that two bot
    processes can share one file without 'database is locked' errors, and secure_delete so that deleted personal
    data is overwritten with zeros instead of staying readable in free pages."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(url)
    else:  # concurrent updates: more than the default 5 + 10 connections, each held only for a short transaction
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        one_round_trip_ping(engine.dialect)
        ping_when_idle(engine)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA secure_delete=ON")  # deleted rows (/forget, retention) are overwritten, not left in free pages
            on_disk = bool(parsed.database) and parsed.database != ":memory:"
            # In WAL mode NORMAL is consistent and a commit survives the bot process being killed (it is in the
            # WAL file); only an OS crash or power loss may roll back the last commits. It saves an fsync per
            # commit — and keeps short the window in which a killed bot has sent an invitation but not yet
            # recorded it (bot/invitations/service.py). In rollback mode the default (FULL) stays.
            if on_disk and _use_wal(cursor):
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def _use_wal(cursor: Any) -> bool:
    """Switch the file to WAL (a property of the file, kept across connections). SQLite answers 'database is
    locked' at once, without waiting for its busy timeout, when another connection holds a lock on a file still in
    rollback mode — two replicas opening a new file together, the other one already migrating. That connection
    works on in rollback mode (busy timeout still applies, nothing is lost); a later connection converts the file."""
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
    return True


# A connection back in the pool for less than this is taken as alive without a ping.
PING_WHEN_IDLE_FOR = 5.0


def _clock() -> float:  # the pool's idea of now (a test moves it on)
    return time.monotonic()


def ping_when_idle(engine: AsyncEngine, idle_for: float = PING_WHEN_IDLE_FOR) -> None:
    """The pool's pre-ping, only for connections that have been idle: a dead connection after a PostgreSQL restart
    is still replaced before an update gets it, but a busy bot does not pay a round trip on every checkout (four
    per question: 4 of 14.5 round trips, measured with scripts/bench_round_trips.py). A connection used within the
    last `idle_for` seconds has just worked; if the server went away in between, the statement fails like any
    statement during a restart, and the pool replaces the connection."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = _clock()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or _clock() - returned_at < idle_for:
            return  # just connected, or just used
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool discards this connection and checks out another (up to 3 times)
            raise exc.DisconnectionError(f"idle connection failed its ping: {type(error).__name__}") from error


def one_round_trip_ping(dialect: Any) -> None:
    """The pool's pre-ping (a dead connection after a PostgreSQL restart is replaced, not handed to an update) in
    one round trip instead of three: SQLAlchemy's asyncpg adapter wraps its ";" in BEGIN … ROLLBACK (for
    pgbouncer's transaction mode, which this project does not use). A checked-in connection has no transaction
    open, so the ping runs in autocommit mode — a bare ";" — and the connection's isolation level is restored."""
    ping = dialect.do_ping

    def do_ping(dbapi_connection: Any) -> bool:
        if getattr(dbapi_connection, "autocommit", True):  # already autocommit, or not an adapter that knows it
            return bool(ping(dbapi_connection))
        dbapi_connection.autocommit = True
        try:
            return bool(ping(dbapi_connection))
        finally:
            dbapi_connection.autocommit = False

    dialect.do_ping = do_ping


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


MIGRATION_LOCK = 0x436F6865  # any constant: the PostgreSQL advisory lock key of "migrating"


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (idempotent; safe at every start). On PostgreSQL an advisory lock
    makes replicas that start together migrate one after the other (the second finds nothing to do); on SQLite a
    write lock taken up front does the same for processes sharing one file."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        elif connection.dialect.name == "sqlite":
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
        await connection.run_sync(_upgrade)
