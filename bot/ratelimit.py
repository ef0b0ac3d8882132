"""One send budget for the whole bot, shared by every replica: a PTB `BaseRateLimiter` over `bot.db.send_budget`.

Every Bot API call aimed at a chat draws from the bot-wide key "all" (SEND_RATE per second, default 27: Telegram
allows about 30); messages sent *to* a chat also draw from that chat's key (1/s with a short burst of
SEND_CHAT_BURST; groups 20/min); bulk sends (invitations, `rate_limit_args=BULK`) first draw from "bulk"
(INVITATION_RATE, a little below SEND_RATE, so that replies to people writing meanwhile still find room).
A 429 anyway: its `retry_after` holds the key "all" — for every replica, through the shared budget — and the
call is retried up to `max_retries` times; each 429 is counted (`retry_afters`). Calls without a chat (answers to
button presses, getMe, setMyCommands, getUpdates) are not limited, as with PTB's AIORateLimiter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from .db.send_budget import Budget

log = logging.getLogger(__name__)

BULK = "bulk"
ALL = "all"
GROUP_INTERVAL = 3.0  # 20 messages a minute per group
_SENDING = ("send", "copyMessage", "copyMessages", "forwardMessage", "forwardMessages")

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class NotSent(Exception):
    """`Bulk.before_send` said no (e.g. an invitation's claim was lost): the request was not made."""


@dataclass(frozen=True)
class Bulk:
    """`rate_limit_args` of a bulk send with a hook run after its slot was granted, right before the request."""

    before_send: Callable[[], Awaitable[bool]] | None = None


@dataclass
class LimiterStats:
    reservations: int = 0
    retry_afters: int = 0  # 429s received (each one honoured)
    reserve_seconds: float = 0.0  # time spent reserving slots (the budget's own overhead)
    waited_seconds: float = 0.0  # time spent waiting for slots


class SharedRateLimiter(BaseRateLimiter[str | Bulk]):
    def __init__(self, budget: Budget, rate: float = 27.0, bulk_rate: float = 26.0, chat_burst: int = 3,
                 max_retries: int = 3, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.budget = budget
        self._sleep = sleep
        self.interval = 1.0 / rate
        self.bulk_interval = 1.0 / min(bulk_rate, rate)
        self.chat_burst = max(1, chat_burst)
        self.max_retries = max_retries
        self.stats = LimiterStats()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        await self.budget.close()

    async def _take(self, key: str, interval: float, burst: int = 1) -> None:
        started = time.perf_counter()
        delay = await self.budget.reserve(key, interval, burst)
        self.stats.reservations += 1
        self.stats.reserve_seconds += time.perf_counter() - started
        if delay > 0:
            self.stats.waited_seconds += delay
            await self._sleep(delay)

    async def _wait_for_slot(self, chat_id: object, endpoint: str, bulk: bool) -> None:
        if bulk:
            await self._take(BULK, self.bulk_interval)
        if endpoint.startswith(_SENDING):
            group = not isinstance(chat_id, int) or chat_id < 0
            await self._take(f"chat:{chat_id}", GROUP_INTERVAL if group else 1.0, self.chat_burst)
        await self._take(ALL, self.interval)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | Bulk | None,
    ) -> JSONResult:
        chat_id = data.get("chat_id")
        if chat_id is None:
            return await callback(*args, **kwargs)
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)
        for attempt in range(self.max_retries + 1):
            await self._wait_for_slot(chat_id, endpoint, rate_limit_args == BULK or isinstance(rate_limit_args, Bulk))
            if isinstance(rate_limit_args, Bulk) and rate_limit_args.before_send is not None \
                    and not await rate_limit_args.before_send():
                raise NotSent(endpoint)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.stats.retry_afters += 1
                seconds = retry_seconds(exc)
                log.warning("429 from Telegram (%s to %s): holding every send for %.1f s", endpoint, chat_id, seconds)
                await self.budget.hold(ALL, time.time() + seconds)
                if attempt == self.max_retries:
                    raise
        raise AssertionError("unreachable")


def retry_seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)
    if value is None:
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
