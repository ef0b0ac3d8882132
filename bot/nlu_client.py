"""Client of the Rasa NLU server (`rasa run --enable-api`, `POST /model/parse`).

Rasa runs in its own process and venv (it pins Python 3.10 and old libraries). This client never lets
Rasa's state hurt the chat: every call has a hard timeout (≤ 1.5 s), and after a failure the client stops
calling Rasa for a short cool-down, so users get the lexical matcher's answer at once instead of waiting
for a timeout on every message. After the cool-down the next question probes Rasa again; when it answers,
the client logs the recovery and uses it again. Changes of state are logged once, not per message.

Overload is not an outage. Rasa parses one request after another, so fifty questions sent at once wait in Rasa's
queue and the last ones pass the timeout although Rasa is healthy: measured with 50 concurrent applicants, that
put the bot into degraded mode for its cool-down again and again. So at most `max_in_flight` parses are sent at a
time; the rest wait their turn here, in order (a message's second parse first: `ParseSlots`), where the wait is
visible — the timeout then measures Rasa's own answer. A question that found no free slot within `max_wait` is
answered by the lexical matcher (`NluBusy`) without marking Rasa down: the next one tries Rasa again. A question that got its slot after Rasa failed (it was
queued behind the failing parse) goes to the lexical matcher too, instead of waiting for the same timeout again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

MAX_TEXT_FOR_NLU = 500  # characters; longer questions are cut before parsing (the model never saw longer)


class ParseSlots:
    """At most `size` parses at Rasa at once; the others wait here in order — except a question's second parse
    (its asking sentences alone, `QAService.classify_question`), which waits only for the next free slot: that
    question has already waited its turn once. Without this, the 9 % of `make bench-load`'s questions that are
    parsed twice queued twice behind everyone and were the whole p95 (2.8 s against a p50 of 1.5 s)."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._again: collections.deque[asyncio.Future[None]] = collections.deque()
        self._first: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self, again: bool, timeout: float) -> bool:
        """Take a slot (True), or give up after `timeout` seconds (False)."""
        if self._free > 0:  # free slots and waiters never coexist: `release` hands a slot to a waiter directly
            self._free -= 1
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._again if again else self._first
        queue.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
            return True
        except BaseException as error:  # timed out or cancelled — perhaps just after `release` handed it a slot
            if waiter.done() and not waiter.cancelled():
                self.release()  # pass the slot on instead of losing it
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):  # `release` may have dropped it already
                    queue.remove(waiter)
            if isinstance(error, TimeoutError):
                return False
            raise

    def release(self) -> None:
        for queue in (self._again, self._first):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():  # a cancelled task's waiter is cancelled with it, before it can leave
                    waiter.set_result(None)
                    return
        self._free += 1


class NluUnavailable(RuntimeError):
    """Rasa is down, loading, too slow or answered nonsense."""


class NluBusy(NluUnavailable):
    """Every parse slot stayed taken for `max_wait`: this question goes without Rasa; Rasa is not marked down."""


@dataclass(frozen=True)
class IntentScore:
    intent: str
    confidence: float


@dataclass(frozen=True)
class NluResult:
    ranking: tuple[IntentScore, ...]

    @property
    def top(self) -> IntentScore | None:
        return self.ranking[0] if self.ranking else None


class RasaNluClient:
    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = 1.5,
        cooldown: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        observe: Callable[[float], None] | None = None,
        max_in_flight: int = 8,
        max_wait: float = 3.0,
    ) -> None:
        self._slots = ParseSlots(max_in_flight)
        self._max_wait = max_wait
        self.shed = 0  # questions answered without Rasa because no slot came free in time (for the metrics)
        self._observe = observe  # parse latency (seconds) for the metrics
        self._url = url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._cooldown = cooldown
        self._clock = clock
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), transport=transport)
        self._down_until = 0.0
        self._healthy: bool | None = None  # None: not tried yet

    @property
    def healthy(self) -> bool | None:
        return self._healthy

    def _params(self) -> dict[str, str]:
        return {"token": self._token} if self._token else {}

    def _cooling_down(self) -> bool:
        return self._clock() < self._down_until

    async def parse(self, text: str, again: bool = False) -> NluResult:
        """Rasa's ranking of `text`. `again`: the second parse of one message (it skips the queue, `ParseSlots`)."""
        if self._cooling_down():
            raise NluUnavailable("cooling down after a failure")
        if not await self._slots.acquire(again, self._max_wait):
            self.shed += 1
            raise NluBusy(f"no free parse slot within {self._max_wait} s")
        if self._cooling_down():  # Rasa failed while this question waited for its slot: do not feed a hung server
            self._slots.release()
            raise NluUnavailable("cooling down after a failure")
        started = time.perf_counter()
        try:
            response = await self._client.post(
                f"{self._url}/model/parse", json={"text": text[:MAX_TEXT_FOR_NLU]}, params=self._params()
            )
            response.raise_for_status()
            result = self._read(response.json())
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            self._mark_down(exc)
            raise NluUnavailable(str(exc) or type(exc).__name__) from exc
        finally:
            self._slots.release()
            if self._observe is not None:
                self._observe(time.perf_counter() - started)
        if self._healthy is not True:
            log.info("NLU server at %s answers: using Rasa", self._url)
        self._healthy = True
        return result

    @staticmethod
    def _read(payload: dict[str, Any]) -> NluResult:
        ranking = payload.get("intent_ranking") or ([payload["intent"]] if payload.get("intent") else [])
        scores = tuple(
            IntentScore(str(item["name"]), float(item["confidence"])) for item in ranking if item.get("name")
        )
        if not scores:
            raise ValueError("no intent in the NLU response (is a model loaded?)")
        return NluResult(scores)

    def _mark_down(self, exc: Exception) -> None:
        self._down_until = self._clock() + self._cooldown
        if self._healthy is not False:
            log.warning(
                "NLU server at %s unavailable (%s): answering with the lexical matcher (degraded mode)",
                self._url,
                type(exc).__name__,
            )
        self._healthy = False

    async def status(self) -> dict[str, Any] | None:
        """The server's `GET /status` (through the NLU gateway it also carries `serving`: the model's training time
        and knowledge hash, the last background training); None when it does not answer with a JSON object."""
        try:
            response = await self._client.get(f"{self._url}/status", params=self._params())
            payload = response.json() if response.status_code in (200, 503) else None
        except (httpx.HTTPError, ValueError):
            return None
        return payload if isinstance(payload, dict) else None

    async def ready(self) -> bool:
        """True when the server is up and has a model loaded (GET /status)."""
        payload = await self.status()
        return bool(payload and payload.get("model_file"))

    async def aclose(self) -> None:
        await self._client.aclose()
