"""Updates of different chats concurrently, updates of one chat in order.

PTB's `BaseUpdateProcessor` bounds the updates in flight (its semaphore); here each chat also gets a FIFO
lock, so a user's survey answers, ratings and hand-offs never race with each other while a slow NLU call
or a 429 pause of one user stalls nobody else. Around each update: the "being processed" mark that lets a
unit of work record the update as processed with its effects (`bot.db.inbox.PROCESSING`), the final mark
for updates that committed nothing, and the metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.db.inbox import PROCESSING, Processing
from bot.intake import Inbox
from bot.metrics import Metrics

log = logging.getLogger(__name__)


def chat_key(update: object) -> int | None:
    """The chat an update belongs to (the user for updates without a chat, e.g. inline queries)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 64, inbox: Inbox | None = None,
                 metrics: Metrics | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self._inbox = inbox
        self._metrics = metrics
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # tasks holding or waiting for each chat's lock

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await self._run(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await self._run(update, coroutine)
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    async def _run(self, update: object, coroutine: Awaitable[Any]) -> None:
        processing = Processing(update.update_id) if isinstance(update, Update) and self._inbox else None
        token = PROCESSING.set(processing)
        started = time.perf_counter()
        if self._metrics:
            self._metrics.in_flight.inc()
        try:
            await coroutine  # PTB's process_update: handler errors go to the error handler, not here
        finally:
            if self._metrics:
                self._metrics.in_flight.dec()
                self._metrics.update_seconds.observe(time.perf_counter() - started)
            PROCESSING.reset(token)
            if processing is not None and not processing.recorded and self._inbox is not None:
                try:
                    await self._inbox.finish(processing.update_id)
                except Exception:  # the database is gone: the update stays pending and is retried at restart
                    log.exception("could not mark update %s processed", processing.update_id)
