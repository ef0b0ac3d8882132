"""The Rasa HTTP client: parsing, timeouts, cool-down after failures and recovery (httpx MockTransport is a
real transport that answers in-process — no network)."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from bot.nlu_client import MAX_TEXT_FOR_NLU, NluBusy, NluUnavailable, ParseSlots, RasaNluClient


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeRasa:
    """A tiny in-process Rasa: /model/parse answers or fails on demand; records what it was sent."""

    def __init__(self) -> None:
        self.mode = "up"
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "slow":
            raise httpx.ReadTimeout("timed out", request=request)
        if self.mode == "loading":
            return httpx.Response(409, json={"message": "no model loaded"})
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "current.tar.gz"})
        return httpx.Response(200, json={
            "intent": {"name": "fact_budget", "confidence": 0.93},
            "intent_ranking": [{"name": "fact_budget", "confidence": 0.93}, {"name": "fact_period", "confidence": 0.04}],
        })


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(rasa, clock):
    client = RasaNluClient("http://nlu:5005/", token="s3cret", timeout=1.5, cooldown=10,
                           transport=httpx.MockTransport(rasa), clock=clock)
    yield client
    await client.aclose()


async def test_parse_returns_the_ranking_and_sends_the_token(client, rasa):
    result = await client.parse("cik liels budžets")
    assert [(s.intent, s.confidence) for s in result.ranking] == [("fact_budget", 0.93), ("fact_period", 0.04)]
    request = rasa.requests[0]
    assert request.url.path == "/model/parse" and request.url.params["token"] == "s3cret"
    assert client.healthy is True


async def test_long_text_is_cut_before_parsing(client, rasa):
    await client.parse("x" * 10_000)
    assert len(rasa.requests[0].content.decode()) < MAX_TEXT_FOR_NLU + 50


@pytest.mark.parametrize("mode", ["down", "slow", "loading"])
async def test_failures_raise_unavailable_then_cool_down_then_recover(client, rasa, clock, mode, caplog):
    caplog.set_level(logging.INFO, logger="bot.nlu_client")
    rasa.mode = mode
    with pytest.raises(NluUnavailable):
        await client.parse("budžets")
    assert client.healthy is False
    rasa.mode = "up"
    with pytest.raises(NluUnavailable):  # within the cool-down: not even tried (no waiting for users)
        await client.parse("budžets")
    assert len(rasa.requests) == 1
    clock.now += 11
    assert (await client.parse("budžets")).top.intent == "fact_budget"
    assert client.healthy is True
    assert "degraded mode" in caplog.text and "using Rasa" in caplog.text


async def test_degradation_is_logged_once_not_per_message(client, rasa, clock, caplog):
    rasa.mode = "down"
    for _ in range(3):
        with pytest.raises(NluUnavailable):
            await client.parse("budžets")
        clock.now += 11
    assert caplog.text.count("degraded mode") == 1


async def test_ready_checks_that_a_model_is_loaded(client, rasa):
    assert await client.ready() is True
    rasa.mode = "down"
    assert await client.ready() is False


class GatedRasa(httpx.AsyncBaseTransport):
    """Answers /model/parse only when the gate opens; records how many requests it held at once."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.holding = 0
        self.most = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.holding += 1
        self.most = max(self.most, self.holding)
        try:
            await self.gate.wait()
        finally:
            self.holding -= 1
        return httpx.Response(200, json={"intent_ranking": [{"name": "fact_budget", "confidence": 0.9}]})


async def test_at_most_max_in_flight_parses_reach_rasa_and_the_rest_wait_their_turn():
    rasa = GatedRasa()
    client = RasaNluClient("http://nlu:5005", transport=rasa, max_in_flight=3, max_wait=5)
    try:
        parses = [asyncio.create_task(client.parse(f"question {n}")) for n in range(10)]
        await asyncio.sleep(0.05)
        assert rasa.holding == 3  # the other 7 wait in the bot, not in Rasa's queue
        rasa.gate.set()
        results = await asyncio.gather(*parses)
        assert [result.top.intent for result in results if result.top] == ["fact_budget"] * 10
        assert rasa.most == 3 and client.shed == 0
    finally:
        await client.aclose()


async def test_a_question_that_finds_no_free_slot_in_time_goes_without_rasa_and_rasa_is_not_marked_down():
    rasa = GatedRasa()
    client = RasaNluClient("http://nlu:5005", transport=rasa, max_in_flight=1, max_wait=0.05)
    try:
        first = asyncio.create_task(client.parse("first"))
        await asyncio.sleep(0.01)
        with pytest.raises(NluBusy):
            await client.parse("second")  # overload: answered by the lexical matcher
        assert client.shed == 1
        rasa.gate.set()
        await first
        assert client.healthy is True
        assert (await client.parse("third")).top is not None  # no cool-down: Rasa is asked again at once
    finally:
        await client.aclose()


class HangingRasa(httpx.AsyncBaseTransport):
    """Times out every parse (a hung server) and counts the requests that reached it."""

    def __init__(self) -> None:
        self.reached = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.reached += 1
        await asyncio.sleep(0.05)
        raise httpx.ReadTimeout("timed out", request=request)


async def test_questions_queued_behind_a_failing_parse_do_not_reach_the_hung_server():
    rasa = HangingRasa()
    client = RasaNluClient("http://nlu:5005", transport=rasa, max_in_flight=1, max_wait=5, cooldown=10)
    try:
        outcomes = await asyncio.gather(*(client.parse(f"q{n}") for n in range(5)), return_exceptions=True)
        assert all(isinstance(outcome, NluUnavailable) for outcome in outcomes)
        assert rasa.reached == 1  # the four queued questions were answered without another timeout
        assert client.healthy is False
    finally:
        await client.aclose()


class RecordingRasa(GatedRasa):
    """GatedRasa that also records the order in which parses reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.order.append(json.loads(request.content)["text"])
        return await super().handle_async_request(request)


async def test_a_messages_second_parse_goes_ahead_of_other_messages_first_parses():
    """The one slot is taken; three first parses wait, then a second parse (asking sentences alone) arrives: it is
    sent next, not after the three — that message already waited its turn once."""
    rasa = RecordingRasa()
    client = RasaNluClient("http://nlu:5005", transport=rasa, max_in_flight=1, max_wait=5)
    try:
        tasks = [asyncio.create_task(client.parse("busy"))]
        await asyncio.sleep(0.01)
        tasks += [asyncio.create_task(client.parse(f"first {n}")) for n in range(3)]
        await asyncio.sleep(0.01)
        tasks.append(asyncio.create_task(client.parse("second parse", again=True)))
        await asyncio.sleep(0.01)
        rasa.gate.set()
        await asyncio.gather(*tasks)
        assert rasa.order == ["busy", "second parse", "first 0", "first 1", "first 2"]
        assert rasa.most == 1
    finally:
        await client.aclose()


async def test_slots_given_up_or_cancelled_while_waiting_are_not_lost():
    """A waiter that times out, one that is cancelled, and one handed a slot in the same moment as its timeout: all
    slots come back, and later parses still run `size` at a time."""
    slots = ParseSlots(1)
    assert await slots.acquire(False, 1)
    assert await slots.acquire(False, 0.01) is False  # timed out: nothing held
    cancelled = asyncio.create_task(slots.acquire(True, 5))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    late = asyncio.create_task(slots.acquire(False, 5))
    await asyncio.sleep(0.01)
    slots.release()  # hands the slot to `late` …
    late.cancel()  # … which is cancelled before it could take it: the slot must be passed on, not lost
    with pytest.raises(asyncio.CancelledError):
        await late
    assert await slots.acquire(False, 0.01)  # the one slot is free again (nobody kept it)
    assert await slots.acquire(False, 0.01) is False  # and there is only one
    slots.release()
