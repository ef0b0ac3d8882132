"""Long polling with durable intake (instead of PTB's `Updater`, which confirms updates as it fetches them).

getUpdates(offset) confirms every update below `offset` to Telegram. This loop stores each batch in the
inbox *before* asking for the next one, so an update Telegram forgets is always in the database; stored
updates not processed before a restart are handed to the application first. Updates go to
`application.update_queue`, where the chat-ordered processor takes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.intake import Inbox
from bot.metrics import Metrics

log = logging.getLogger(__name__)

RECOVERY_EVERY = 60.0  # seconds between looks for updates another (dead) replica left unprocessed


async def enqueue(application: Any, payloads: list[dict[str, Any]]) -> None:
    for payload in payloads:
        update = Update.de_json(payload, application.bot)
        if update is not None:
            await application.update_queue.put(update)


async def recover(application: Any, inbox: Inbox, after_restart: bool) -> int:
    """Stored but unprocessed updates (this replica's after a restart, others' after their lease) first."""
    payloads = await inbox.unfinished(after_restart)
    await enqueue(application, payloads)
    return len(payloads)


async def poll(application: Any, inbox: Inbox, stop: asyncio.Event, metrics: Metrics | None = None,
               timeout: int = 10, allowed_updates: list[str] | None = None) -> None:
    """Until `stop` is set: getUpdates → store → enqueue → next offset. `allowed_updates`: the update types the
    handlers use (bot.app.ALLOWED_UPDATES); None asks for every type."""
    await recover(application, inbox, after_restart=True)
    offset: int | None = None
    backoff = 1.0
    loop = asyncio.get_running_loop()
    next_recovery = loop.time() + RECOVERY_EVERY
    while not stop.is_set():
        try:
            updates = await _unless_stopped(stop, application.bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=allowed_updates or Update.ALL_TYPES))
            if updates is None:  # stopping: whatever that call fetched is not confirmed, Telegram redelivers it
                break
            payloads = [update.to_dict() for update in updates]
            new = await inbox.store(payloads)  # before the next getUpdates confirms them
            stored = {int(payload["update_id"]) for payload in new}
        except InvalidToken:
            raise
        except RetryAfter as exc:
            await _sleep(stop, float(exc.retry_after if isinstance(exc.retry_after, int | float)
                                     else exc.retry_after.total_seconds()))
            continue
        except (NetworkError, TimedOut, TelegramError, OSError) as exc:
            log.warning("getUpdates failed (%s); retrying in %.0f s", exc, backoff)
            await _sleep(stop, backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        except Exception:  # the database is unusable: do not confirm anything, try again
            log.exception("could not store updates; retrying in %.0f s", backoff)
            await _sleep(stop, backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        backoff = 1.0
        if payloads:
            offset = max(int(p["update_id"]) for p in payloads) + 1
            if metrics:
                metrics.updates.labels("polling").inc(len(new))
                metrics.duplicates.inc(len(payloads) - len(new))
            for update in updates:  # the Update objects getUpdates gave, not parsed again from the stored JSON
                if update.update_id in stored:
                    stored.discard(update.update_id)
                    await application.update_queue.put(update)
        if loop.time() >= next_recovery:
            next_recovery = loop.time() + RECOVERY_EVERY
            with contextlib.suppress(Exception):
                await recover(application, inbox, after_restart=False)
                await inbox.prune()


async def _unless_stopped(stop: asyncio.Event, call: Any) -> Any:
    fetch = asyncio.ensure_future(call)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if fetch.done():
        return fetch.result()
    fetch.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await fetch
    return None


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
