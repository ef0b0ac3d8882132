"""Survey reminders: one per unfinished response, sent once when due. No Telegram: the caller passes `send`.

Due reminders are claimed first, a batch in one UPDATE … RETURNING whose rows are picked with FOR UPDATE SKIP
LOCKED on PostgreSQL (SQLite: the UPDATE … WHERE sent_at IS NULL is atomic on its own), so two bot processes never
send the same reminder; `sent_at` holds the claim's time. It is sent after that claim is committed (no database
transaction is held across the network call), and the row is deleted afterwards — for an anonymous response its
chat id was the only link to a person. A passing failure releases the claim, so the next run tries again. A claim
older than CLAIM_EXPIRY belongs to a process that died between claiming and deleting: it expires, and the next
run claims the reminder again (sent twice at worst, never lost).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from enum import StrEnum

from bot.uow import UnitOfWorkFactory

from .engine import Progress, SurveyEngine

log = logging.getLogger(__name__)

CLAIM_EXPIRY = timedelta(minutes=15)  # far longer than one send takes, even through the rate limiter


class Delivery(StrEnum):
    SENT = "sent"
    UNDELIVERABLE = "undeliverable"  # blocked the bot, chat gone: never retried
    RETRY = "retry"  # network trouble: the next run tries again


# send(chat id, the response's progress with its pending question) -> what happened
SendReminder = Callable[[int, Progress], Awaitable[Delivery]]


class Reminders:
    def __init__(self, uow: UnitOfWorkFactory, engine: SurveyEngine, claim_expiry: timedelta = CLAIM_EXPIRY) -> None:
        self._uow = uow
        self._engine = engine
        self._claim_expiry = claim_expiry

    async def deliver(self, send: SendReminder, now: datetime | None = None) -> int:
        """Send every due reminder once; returns how many were sent."""
        engine = self._engine
        now = now or engine.clock()
        expired = now - self._claim_expiry  # claims made before this belong to a process that died
        async with self._uow() as uow:  # claimed in one statement (SKIP LOCKED on PostgreSQL), then committed
            due = await uow.surveys.claim_due_reminders(now, claims_before=expired)
            await uow.commit()
        sent = 0
        for reminder_id, response_id, chat_id in due:
            async with self._uow() as uow:
                response = await uow.surveys.response(response_id)
                progress = (await engine.progress(uow, response)
                            if response is not None and response.survey_id in engine.surveys else None)
            if progress is None or progress.question is None:
                await self._drop(reminder_id)
                continue
            delivery = await send(chat_id, progress)
            if delivery is Delivery.RETRY:
                async with self._uow() as uow:
                    await uow.surveys.release_reminder(reminder_id)
                    await uow.commit()
                continue
            sent += delivery is Delivery.SENT
            await self._drop(reminder_id)
        return sent

    async def _drop(self, reminder_id: int) -> None:
        async with self._uow() as uow:
            await uow.surveys.delete_reminder_by_id(reminder_id)
            await uow.commit()
