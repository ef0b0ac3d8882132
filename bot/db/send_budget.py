"""The bot's send budget (Telegram: about 30 messages/s per bot, 1/s per chat, 20/min per group), as a GCRA
("virtual scheduling") per key: each key keeps the theoretical arrival time `tat` of its next message; reserving
a message moves it on by the key's interval and says how long to wait for the slot.

`DatabaseSendBudget` keeps the keys in the `send_budget` table, so every replica draws from one budget: one
`INSERT … ON CONFLICT DO UPDATE … RETURNING` per key per message (no transaction left open, nothing read first).
`MemorySendBudget` is the same arithmetic in the process, for a single process (the SQLite default).
Times are seconds since the epoch from each process's clock (replicas are assumed NTP-synchronised).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from typing import Any

from sqlalchemy import Result, TextClause, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

PRUNE_EVERY = 2000  # reservations between clean-ups of idle per-chat keys
IDLE_SECONDS = 120.0


class Budget(ABC):
    """reserve(key, interval, burst) -> seconds to wait before sending (0 when the slot is now)."""

    def __init__(self) -> None:
        self._reservations = 0

    @abstractmethod
    async def reserve(self, key: str, interval: float, burst: int = 1) -> float: ...

    @abstractmethod
    async def hold(self, key: str, until: float) -> None:
        """Nothing on `key` before `until` (a 429's retry_after)."""

    async def close(self) -> None:
        return None

    @staticmethod
    def delay(tat: float, interval: float, burst: int, now: float) -> float:
        """The wait for a reservation that moved the key's arrival time to `tat`."""
        return max(0.0, tat - interval - (burst - 1) * interval - now)


class MemorySendBudget(Budget):
    def __init__(self) -> None:
        super().__init__()
        self._tat: dict[str, float] = {}

    async def reserve(self, key: str, interval: float, burst: int = 1) -> float:
        now = time.time()
        tat = max(self._tat.get(key, now), now) + interval
        self._tat[key] = tat
        self._reservations += 1
        if self._reservations % PRUNE_EVERY == 0:
            self._tat = {k: v for k, v in self._tat.items() if v > now - IDLE_SECONDS}
        return self.delay(tat, interval, burst, now)

    async def hold(self, key: str, until: float) -> None:
        self._tat[key] = max(self._tat.get(key, 0.0), until)


_NOW = "CAST(:now AS DOUBLE PRECISION)"
_RESERVE = text(
    f'INSERT INTO send_budget ("key", tat) VALUES (:key, {_NOW} + CAST(:interval AS DOUBLE PRECISION)) '
    f'ON CONFLICT ("key") DO UPDATE SET tat = CASE WHEN send_budget.tat > {_NOW} THEN send_budget.tat ELSE {_NOW} END'
    " + CAST(:interval AS DOUBLE PRECISION) RETURNING tat"
)
_PRUNE = text("DELETE FROM send_budget WHERE \"key\" LIKE 'chat:%' AND tat < :old")
_HOLD = text(
    f'INSERT INTO send_budget ("key", tat) VALUES (:key, {_NOW}) '
    f'ON CONFLICT ("key") DO UPDATE SET tat = CASE WHEN send_budget.tat > {_NOW} THEN send_budget.tat ELSE {_NOW} END'
)


class DatabaseSendBudget(Budget):
    """The budget in the `send_budget` table (UNLOGGED on PostgreSQL: it is worth nothing after a server crash).
    One connection of its own, in autocommit mode with `synchronous_commit` off: a reservation is a single
    statement and one round trip, never an fsync; reservations of this process take turns on it."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__()
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    async def _execute(self, statement: TextClause, params: dict[str, object]) -> Result[Any]:
        async with self._lock:
            for attempt in (1, 2):
                try:
                    if self._connection is None:
                        connection = await self._engine.connect()
                        await connection.execution_options(isolation_level="AUTOCOMMIT")
                        if self._engine.dialect.name == "postgresql":
                            await connection.execute(text("SET synchronous_commit TO OFF"))
                        self._connection = connection
                    return await self._connection.execute(statement, params)
                except DBAPIError:
                    await self.close()  # a broken connection (server restart): one new try
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):
                await connection.close()

    async def reserve(self, key: str, interval: float, burst: int = 1) -> float:
        result = await self._execute(_RESERVE, {"key": key, "now": time.time(), "interval": interval})
        tat = float(result.scalar_one())
        self._reservations += 1
        if self._reservations % PRUNE_EVERY == 0:
            await self._execute(_PRUNE, {"old": time.time() - IDLE_SECONDS})
        return self.delay(tat, interval, burst, time.time())  # measured after the round trip

    async def hold(self, key: str, until: float) -> None:
        await self._execute(_HOLD, {"key": key, "now": until})
