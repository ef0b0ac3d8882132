"""The shared send budget (bot/db/send_budget.py) and the PTB rate limiter over it (bot/ratelimit.py): GCRA
slots, per-chat bursts, a 429's retry_after held for every sender and counted, and the claim statements use
FOR UPDATE SKIP LOCKED on PostgreSQL. The database budget runs on SQLite here, or on PostgreSQL with
TEST_DATABASE_URL."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql
from telegram.error import RetryAfter

from bot.db.database import create_engine, migrate
from bot.db.send_budget import DatabaseSendBudget, MemorySendBudget
from bot.ratelimit import ALL, BULK, SharedRateLimiter


@pytest.fixture(params=["memory", "database"])
async def budget(request, database_url):
    if request.param == "memory":
        yield MemorySendBudget()
        return
    engine = create_engine(database_url)
    await migrate(engine)
    budget = DatabaseSendBudget(engine)
    yield budget
    await budget.close()
    await engine.dispose()


async def test_slots_are_spaced_by_the_interval_and_a_burst_is_allowed_first(budget):
    delays = [await budget.reserve("all", 10.0) for _ in range(3)]
    assert delays[0] == pytest.approx(0, abs=0.5)
    assert delays[1] == pytest.approx(10, abs=0.5) and delays[2] == pytest.approx(20, abs=0.5)
    burst = [await budget.reserve("chat:5", 10.0, burst=3) for _ in range(4)]
    assert burst[:3] == pytest.approx([0, 0, 0], abs=0.5) and burst[3] == pytest.approx(10, abs=0.5)
    assert await budget.reserve("chat:6", 10.0) == pytest.approx(0, abs=0.5)  # keys are independent


async def test_hold_delays_the_next_slot(budget):
    import time

    await budget.hold("all", time.time() + 30)
    assert await budget.reserve("all", 1.0) == pytest.approx(30, abs=0.5)


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def test_retry_after_is_honoured_for_everyone_and_counted():
    budget = MemorySendBudget()
    sleeps = Recorder()
    limiter = SharedRateLimiter(budget, rate=1000, bulk_rate=1000, sleep=sleeps)
    attempts = []

    async def flaky(*_args, **_kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise RetryAfter(7)
        return True

    assert await limiter.process_request(flaky, (), {}, "sendMessage", {"chat_id": 5}, None) is True
    assert len(attempts) == 2 and limiter.stats.retry_afters == 1
    assert max(sleeps.sleeps) == pytest.approx(7, abs=0.5)  # waited the retry_after before the second try
    # and so does the next message to anyone else (the hold is on the bot-wide key; no time passed here)
    sleeps.sleeps.clear()
    await limiter.process_request(flaky, (), {}, "sendMessage", {"chat_id": 6}, None)
    assert max(sleeps.sleeps) == pytest.approx(7, abs=0.5)


async def test_gives_up_after_max_retries():
    limiter = SharedRateLimiter(MemorySendBudget(), max_retries=2, sleep=Recorder())

    async def always(*_args, **_kwargs):
        raise RetryAfter(1)

    with pytest.raises(RetryAfter):
        await limiter.process_request(always, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert limiter.stats.retry_afters == 3


async def test_keys_drawn_per_request_kind():
    class Keys(MemorySendBudget):
        def __init__(self) -> None:
            super().__init__()
            self.keys: list[tuple[str, float, int]] = []

        async def reserve(self, key, interval, burst=1):
            self.keys.append((key, interval, burst))
            return 0.0

    budget = Keys()
    limiter = SharedRateLimiter(budget, rate=25, bulk_rate=20, chat_burst=3)

    async def ok(*_args, **_kwargs):
        return True

    await limiter.process_request(ok, (), {}, "sendMessage", {"chat_id": 5}, BULK)
    await limiter.process_request(ok, (), {}, "sendMessage", {"chat_id": -100}, None)
    await limiter.process_request(ok, (), {}, "editMessageText", {"chat_id": 5}, None)
    await limiter.process_request(ok, (), {}, "answerCallbackQuery", {"callback_query_id": "1"}, None)
    assert budget.keys == [
        (BULK, 1 / 20, 1), ("chat:5", 1.0, 3), (ALL, 1 / 25, 1),
        ("chat:-100", 3.0, 3), (ALL, 1 / 25, 1),  # a group: 20 a minute
        (ALL, 1 / 25, 1),  # an edit: bot-wide only
    ]


def test_claims_skip_rows_locked_by_another_replica_on_postgresql():
    from datetime import UTC, datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.invitations.repository import InvitationRepository
    from bot.surveys.repository import SurveyRepository

    statements = []

    class Capture(AsyncSession):
        async def execute(self, statement, *args, **kwargs):
            statements.append(str(statement.compile(dialect=postgresql.dialect())))
            raise StopAsyncIteration

    import asyncio

    session = Capture()
    now = datetime.now(UTC)
    for call in (InvitationRepository(session).claim("t", now, now, 10), SurveyRepository(session).claim_due_reminders(now)):
        with pytest.raises(StopAsyncIteration):
            asyncio.run(call)
    assert len(statements) == 2
    assert all("FOR UPDATE" in sql and "SKIP LOCKED" in sql and sql.startswith("UPDATE") for sql in statements)


async def test_a_bulk_hook_runs_after_the_slot_and_can_refuse_the_send():
    from bot.ratelimit import Bulk, NotSent

    order = []

    class Keys(MemorySendBudget):
        async def reserve(self, key, interval, burst=1):
            order.append(key)
            return 0.0

    limiter = SharedRateLimiter(Keys(), sleep=Recorder())

    async def ok(*_args, **_kwargs):
        order.append("request")
        return True

    async def yes():
        order.append("hook")
        return True

    async def no():
        return False

    await limiter.process_request(ok, (), {}, "sendMessage", {"chat_id": 5}, Bulk(yes))
    assert order == [BULK, "chat:5", ALL, "hook", "request"]
    with pytest.raises(NotSent):
        await limiter.process_request(ok, (), {}, "sendMessage", {"chat_id": 6}, Bulk(no))
    assert order.count("request") == 1


_DRAW = """
import asyncio, json, sys, time
from bot.db.database import create_engine
from bot.db.send_budget import DatabaseSendBudget, MemorySendBudget

# The moment each reservation's slot begins, as the budget computed it: `time.time() + delay` read after the call
# would add however long this process waited for the CPU in between (tens of ms on a busy CI machine).
slots = []

def recording(kind):
    class Recording(kind):
        @staticmethod
        def delay(tat, interval, burst, now):
            slots.append(tat - interval - (burst - 1) * interval)
            return kind.delay(tat, interval, burst, now)
    return Recording

async def main(url, kind, start, count):
    engine = create_engine(url)
    budget = recording(DatabaseSendBudget)(engine) if kind == "database" else recording(MemorySendBudget)()
    while time.time() < start:
        await asyncio.sleep(0.005)
    for _ in range(count):
        await budget.reserve("all", 0.1)
    await budget.close()
    await engine.dispose()
    print(json.dumps(slots))

asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
"""


def _slots_of_two_processes(url: str, kind: str) -> list[float]:
    import json
    import subprocess
    import sys
    import time

    from tests.local import PROJECT

    start = time.time() + 3.0  # both processes have imported everything by then
    command = [sys.executable, "-c", _DRAW, url, kind, str(start), "15"]
    processes = [subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=60)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes)
    return sorted(slot for output in outputs for slot in json.loads(output))


async def test_two_processes_draw_from_one_budget(database_url):
    """Two replicas reserving at once get slots an interval apart between them, not each its own budget."""
    engine = create_engine(database_url)
    await migrate(engine)
    await engine.dispose()
    shared = _slots_of_two_processes(database_url, "database")
    assert len(shared) == 30
    assert min(b - a for a, b in zip(shared, shared[1:], strict=False)) >= 0.1 - 1e-6
    # The same check on two per-process budgets finds slots of the two processes at the same moment.
    separate = _slots_of_two_processes(database_url, "memory")
    assert min(b - a for a, b in zip(separate, separate[1:], strict=False)) < 0.05
