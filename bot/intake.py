"""Durable intake of Telegram updates — no Telegram imports, updates are the Bot API's JSON dicts.

- `store(payloads)`: one short transaction, *before* the updates are confirmed to Telegram (polling: before
  the next getUpdates offset; webhook: before the HTTP 200). Returns only the updates not seen before: a
  redelivered update (same `update_id`) is dropped here — no second reply, no second row.
- `unfinished()`: stored but not processed (the process died): this replica's own at once, another replica's
  once its claim is older than `lease`. Processed first after a restart.
- `finish(update_id)`: processed (also when a handler failed — a poison update is not retried forever). Most
  updates are already marked by the first commit of their effects (`bot.uow.UnitOfWork.commit`).

An update is thus processed at most once after its first committed effect; a reply that was being sent at
the moment of a crash may be lost, never doubled (the Bot API has no idempotent send).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from .db.models import utcnow
from .uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

KEEP_PROCESSED = timedelta(days=3)  # Telegram gives up redelivering after 24 h


class Inbox:
    def __init__(self, uow: UnitOfWorkFactory, replica: str, lease: timedelta = timedelta(minutes=5)) -> None:
        self._uow = uow
        self.replica = replica
        self._lease = lease

    async def store(self, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        valid = [p for p in payloads if isinstance(p, dict) and isinstance(p.get("update_id"), int)]
        async with self._uow(one_statement=True) as uow:  # one INSERT … RETURNING for the batch
            new = set(await uow.inbox.add_new(valid, self.replica))
            await uow.commit()
        if len(new) < len(valid):
            log.info("ignored %d update(s) delivered again", len(valid) - len(new))
        fresh: list[dict[str, Any]] = []
        for payload in valid:  # once each, even if a batch carried an update twice
            if payload["update_id"] in new:
                new.discard(payload["update_id"])
                fresh.append(payload)
        return fresh

    async def unfinished(self, after_restart: bool, limit: int = 1000) -> list[dict[str, Any]]:
        """Stored updates nobody is processing: others' whose lease ran out, and — `after_restart`, when this
        replica has nothing in flight — its own (while it runs, its own are queued or being processed: taking them
        again would answer them twice)."""
        async with self._uow() as uow:
            claimed = await uow.inbox.claim_unfinished(self.replica, utcnow() - self._lease, limit, own=after_restart)
            await uow.commit()
        payloads: list[dict[str, Any]] = []
        for update_id, text in claimed:
            try:
                payloads.append(json.loads(text))
            except ValueError:
                log.error("stored update %s is not JSON; dropped", update_id)
                await self.finish(update_id)
        if payloads:
            log.info("resuming %d stored update(s) not processed before", len(payloads))
        return payloads

    async def finish(self, update_id: int) -> None:
        async with self._uow() as uow:
            await uow.inbox.mark_processed(update_id)
            await uow.commit()

    async def prune(self) -> int:
        async with self._uow() as uow:
            removed = await uow.inbox.prune(utcnow() - KEEP_PROCESSED)
            await uow.commit()
        return removed
