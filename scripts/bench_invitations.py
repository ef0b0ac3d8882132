"""Survey invitations benchmark: 1,000 recipients through the real Application, against a Bot API stand-in that
enforces Telegram's limits (scripts/limited_bot_api.py: 429 with retry_after above 30 messages/s or above 1
message/s per chat; 40–80 ms per call), uninterrupted and across a SIGKILL in the middle.

    .venv/bin/python -m scripts.bench_invitations [--recipients 1000] [--database-url URL]
    INVITATION_DELIVERY=at_least_once .venv/bin/python -m scripts.bench_invitations   # the other crash policy

Each run happens in a child process: a staff member sends `/invite participants` and presses "Send" (through
`Application.process_update`), then the worker's delivery (`handlers.invitations.deliver`) sends every invitation
with the production rate limiter (`bot.ratelimit.SharedRateLimiter`; its budget in the database on PostgreSQL, in
memory on SQLite). The stand-in appends every message it accepts or refuses to a log file with one `os.write`,
so what "Telegram" received is known even for a process killed with SIGKILL. In the second run the child is
killed with SIGKILL about half-way, a new one started, and it resumes from the database.
Printed: sending rate, 429s, duplicates (recipients with more than one invitation), recipients never reached, the
limiter's own cost per reservation and the cost of recording one outcome (the "send → commit" window).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from bot.app import build_application, build_services, close_services
from bot.config import Settings
from bot.db.models import Invitation, User, utcnow
from bot.invitations.recorder import SentRecorder
from bot.offline import UpdateFactory
from bot.vocabulary import InvitationStatus
from scripts.limited_bot_api import LimitedBotApi

ADMIN = 1001
FIRST_USER = 5_000_000
SURVEY = "participants"


def settings_for(url: str) -> Settings:
    return Settings(_env_file=None, telegram_bot_token=None, database_url=url, nlu_url="http://127.0.0.1:9",
                    admin_ids=str(ADMIN), invitation_delivery=os.environ.get("INVITATION_DELIVERY", "at_most_once"))


async def prepare(url: str, recipients: int) -> None:
    if url.startswith("postgresql"):
        from tests.conftest import reset_postgres_schema

        await reset_postgres_schema(url)
    services = await build_services(settings_for(url), use_nlu=False)
    async with services.uow() as uow:
        uow.session.add(User(id=ADMIN, telegram_language="en", invitations_off=True))
        for number in range(recipients):
            uow.session.add(User(id=FIRST_USER + number, telegram_language=("lv", "ru", "en")[number % 3]))
        await uow.commit()
    await close_services(services)


async def child(mode: str, url: str, log_path: str) -> dict[str, float]:
    from handlers.invitations import deliver
    from handlers.staff.invitations import show_progress

    settings = settings_for(url)
    services = await build_services(settings, use_nlu=False)
    api = LimitedBotApi(rate=30, latency=0.04, jitter=0.04, log_path=log_path)
    api.keep_calls = False
    application = build_application(settings, services, request=api, rate_limit=True)
    result: dict[str, float] = {}
    async with application:
        if mode == "start":
            admin = UpdateFactory(application.bot, user_id=ADMIN, language_code="en")
            await application.process_update(admin.message(f"/invite {SURVEY}"))
            await application.process_update(admin.callback(f"adm:ig:{SURVEY}"))
        started = time.perf_counter()
        while True:  # as the worker does: deliver until the run is finished (claims of a dead process expire)
            await deliver(application, show_progress)
            async with services.uow() as uow:
                if not await uow.invitations.running():
                    break
            await asyncio.sleep(1.0)
        result["seconds"] = time.perf_counter() - started
        limiter = application.bot.rate_limiter
        stats = limiter.stats  # type: ignore[union-attr]
        result["reservations"] = stats.reservations
        result["reserve_ms"] = 1000 * stats.reserve_seconds / max(1, stats.reservations)
        result["retry_afters"] = stats.retry_afters
        async with services.uow() as uow:
            result["unsure"] = (await uow.invitations.counts([1]))[1].get(InvitationStatus.UNSURE, 0)
        result["record_ms"] = await record_cost(services)
    await close_services(services)
    return result


async def record_cost(services, samples: int = 200) -> float:  # type: ignore[no-untyped-def]
    """The send → commit window: "sent" recorded and committed as the worker does right after each send
    (bot/invitations/recorder.py), timed on rows put back into `sending` for the measurement."""
    async with services.uow() as uow:
        ids = list((await uow.session.execute(select(Invitation.id).limit(samples))).scalars())
        for invitation_id in ids:
            row = await uow.session.get(Invitation, invitation_id)
            row.status, row.claim = InvitationStatus.SENDING, "bench"
        await uow.commit()
    recorder = SentRecorder(services.engine)
    started = time.perf_counter()
    for invitation_id in ids:
        assert await recorder.sent(invitation_id, "bench", utcnow())
    elapsed = time.perf_counter() - started
    await recorder.close()
    return 1000 * elapsed / max(1, len(ids))


def spawn(mode: str, url: str, log_path: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "scripts.bench_invitations", "--child", mode, "--database-url", url,
                             "--log", log_path], stdout=subprocess.PIPE, text=True)


def read_log(log_path: str, recipients: int) -> list[tuple[float, str, str, int]]:
    rows = []
    for line in Path(log_path).read_text().splitlines():
        stamp, status, method, chat = line.split()
        rows.append((float(stamp), status, method, int(chat)))
    return rows


def summarise(label: str, log_path: str, recipients: int, results: list[dict[str, float]],
              downtime: float | None = None) -> None:
    rows = read_log(log_path, recipients)
    invites = [row for row in rows if row[2] == "sendMessage" and row[3] >= FIRST_USER]
    accepted = [row for row in invites if row[1] == "200"]
    per_chat = Counter(row[3] for row in accepted)
    unsure = count_unsure(results)
    duplicates = sum(count - 1 for count in per_chat.values())
    missing = recipients - len(per_chat)
    refused = sum(1 for row in rows if row[1] == "429")
    span = accepted[-1][0] - accepted[0][0] if len(accepted) > 1 else 0.0
    sending = span - (downtime or 0.0)
    rate = (len(accepted) - 1) / sending if sending > 0 else 0.0
    print(f"\n{label}")
    print(f"  invitations accepted {len(accepted)} to {len(per_chat)} of {recipients} recipients; "
          f"duplicates {duplicates}; never reached {missing} (rows left 'unsure': {unsure}); 429s {refused}")
    extra = f" (wall {span:.1f} s, of which {downtime:.1f} s between the kill and the first resumed send)" if downtime else ""
    print(f"  sending rate {rate:.1f} messages/s over {sending:.1f} s{extra}")
    for number, result in enumerate(results):
        print(f"  process {number + 1}: limiter {result['reservations']:.0f} reservations, "
              f"{result['reserve_ms']:.2f} ms each; outcome record+commit {result['record_ms']:.2f} ms; "
              f"429s seen {result['retry_afters']:.0f}")


def count_unsure(results: list[dict[str, float]]) -> int:
    return int(max((result.get("unsure", 0) for result in results), default=0))


def run_child(process: subprocess.Popen[str]) -> dict[str, float]:
    out, _ = process.communicate()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def first_send(log_path: str) -> float | None:
    path = Path(log_path)
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        stamp, status, method, chat = line.split()
        if status == "200" and method == "sendMessage" and int(chat) >= FIRST_USER:
            return float(stamp)
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--database-url")
    parser.add_argument("--child", choices=("start", "resume"))
    parser.add_argument("--log")
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(child(args.child, args.database_url, args.log))
        print(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'uninterrupted.db'}"
        print(f"database: {url.split('@')[-1] if '@' in url else 'SQLite (WAL)'}; recipients: {args.recipients}; "
              f"stand-in: ≤ 30 messages/s, ≤ 1/s per chat, 40–80 ms per call (half each way); "
              f"delivery: {settings_for(url).invitation_delivery}")

        log = str(Path(tmp) / "uninterrupted.log")
        asyncio.run(prepare(url, args.recipients))
        summarise("uninterrupted", log, args.recipients, [run_child(spawn("start", url, log))])

        log = str(Path(tmp) / "killed.log")
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'killed.db'}"
        asyncio.run(prepare(url, args.recipients))
        process = spawn("start", url, log)
        while (first := first_send(log)) is None:
            time.sleep(0.05)
        time.sleep(max(0.0, first + args.recipients / 2 / 27 - time.time()))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        killed_at = time.time()
        resumed = spawn("resume", url, log)
        result = run_child(resumed)
        rows = [row for row in read_log(log, args.recipients) if row[1] == "200" and row[2] == "sendMessage"
                and row[3] >= FIRST_USER]
        before = [row[0] for row in rows if row[0] <= killed_at]
        after = [row[0] for row in rows if row[0] > killed_at]
        downtime = (min(after) - max(before)) if before and after else 0.0
        summarise(f"SIGKILL after {len(before)} invitations, then a new process resumed", log, args.recipients,
                  [result], downtime)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
