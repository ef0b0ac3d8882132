"""Recording that an invitation was sent (and, at most once, that it is about to be): the one write between "Telegram accepted the message" and "the database
knows", i.e. the window in which a killed bot process would leave a recipient to be sent a second copy.

It is a single `UPDATE` on a connection of its own in autocommit mode — one round trip, no BEGIN/COMMIT around it
— and, on PostgreSQL, with `synchronous_commit` off for that connection: the commit does not wait for the disk,
yet it is atomic, visible at once and survives the bot process being killed (only a crash of the database server
within a fraction of a second could undo it). SQLite in WAL mode commits without an fsync already
(bot/db/database.py). This is the only write outside a unit of work besides the send budget
(bot/db/send_budget.py); every other outcome (blocked, failed, retry) goes through the unit of work.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db.models import Invitation
from bot.vocabulary import InvitationStatus

MAX_IDLE = 4


class SentRecorder:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._idle: list[AsyncConnection] = []

    async def _connection(self) -> AsyncConnection:
        if self._idle:
            return self._idle.pop()
        connection = await self._engine.connect()
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        if self._engine.dialect.name == "postgresql":
            await connection.exec_driver_sql("SET synchronous_commit TO OFF")
        return connection

    async def sent(self, invitation_id: int, token: str, now: datetime) -> bool:
        """Mark a claimed invitation sent; False when the claim was no longer ours."""
        return await self._update(invitation_id, token, status=InvitationStatus.SENT, sent_at=now, claimed_until=None)

    async def attempt(self, invitation_id: int, token: str, now: datetime) -> bool:
        """At most once: the message is about to go out; False when the claim is no longer ours (don't send)."""
        return await self._update(invitation_id, token, attempted_at=now)

    async def _update(self, invitation_id: int, token: str, **values: object) -> bool:
        statement = (
            update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.claim == token,
                   Invitation.status == InvitationStatus.SENDING)
            .values(**values)
        )
        for attempt in (1, 2):
            connection = await self._connection()
            try:
                result = await connection.execute(statement)
            except DBAPIError:
                with contextlib.suppress(Exception):
                    await connection.close()
                if attempt == 2:
                    raise
                continue
            if len(self._idle) < MAX_IDLE:
                self._idle.append(connection)
            else:
                await connection.close()
            return int(result.rowcount or 0) == 1
        raise AssertionError("unreachable")

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        await asyncio.gather(*(connection.close() for connection in idle), return_exceptions=True)
