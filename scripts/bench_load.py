"""Load benchmark: `make bench-load` — N concurrent simulated applicants × Q questions through a Bot API stand-in.

    python -m scripts.bench_load --rasa-url URL --token T --database-url postgresql+asyncpg://… [--applicants 50]
        [--questions 4] [--rounds 5] [--telegram-limits]

Runs against the same Rasa server, each bot with a Bot API stand-in of its own (scripts/botapi_standin.py):
1. the Rasa server alone (the applicants call /model/parse directly);
2. the thin anchor bot (scripts/thin_bot.py: PTB, concurrent updates, straight to Rasa, no database);
3. the bot by long polling (one process — one poller per token — on PostgreSQL);
4. the bot in webhook mode, 2 replicas on the same PostgreSQL (the bench spreads updates round-robin, as the
   reverse proxy would);
5. the bot with the NLU server unreachable (polling, PostgreSQL).
Runs 1–4 are started together and measured *interleaved*: round 1 of each, then round 2 of each, … (`--rounds`
rounds of N × Q new applicants, after a warm-up). The throughput of one configuration swings by a third from round to
round on this machine (a pause, another process); interleaved, neighbouring rounds of the bot and of the thin bot
see the same machine, and the ratios printed are the medians of the ratios *round by round*. Run 5 follows alone.
Prints the median round's p50/p95 latency (question delivered → first reply), throughput, the ratios to the thin
bot, and the resident memory of every bot process and of Rasa. Finally runs scripts/bench_invitations.py if it exists.
Latency starts when the update is offered (getUpdates) or POSTed (webhook) and ends at the first sendMessage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn

from knowledge.loader import load_heldout

from .botapi_standin import StandIn

PROJECT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH-token"
SECRET = "bench-secret"


@dataclass
class Figures:
    name: str
    p50: float
    p95: float
    throughput: float
    done: int
    failed: int
    rss_mb: list[float]
    too_many: int = 0  # 429 answers of the stand-in during this run
    cpu_ms: dict[str, float] | None = None  # CPU time per answered question: the bot(s), this bench, PostgreSQL
    rounds: list[Figures] = field(default_factory=list)  # the rounds this median is made of
    engines: dict[str, int] = field(default_factory=dict)  # questions by what classified them (bot runs)
    stolen: float = 0.0  # share of the machine's CPU time the hypervisor gave to others during the rounds
    # Medians of (this ÷ the thin bot) round by round, when the rounds were interleaved: (throughput, p95).
    paired: tuple[float, float] | None = None

    def spread(self) -> str:
        if len(self.rounds) < 2:
            return "—"
        throughputs = sorted(figures.throughput for figures in self.rounds)
        p95s = sorted(figures.p95 * 1000 for figures in self.rounds)
        return (f"{throughputs[0]:.1f}–{throughputs[-1]:.1f} q/s, p95 {p95s[0]:.0f}–{p95s[-1]:.0f} ms "
                f"({len(self.rounds)} rounds)")

    def row(self, anchor: Figures | None) -> str:
        if self.paired is not None:
            ratio = f"{self.paired[0]:.2f}× | {self.paired[1]:.2f}×"
        elif anchor and anchor is not self:
            ratio = f"{self.throughput / anchor.throughput:.2f}× | {self.p95 / anchor.p95:.2f}×"
        else:
            ratio = "— | —"
        rss = " + ".join(f"{value:.0f}" for value in self.rss_mb) or "—"
        return (f"| {self.name} | {self.p50 * 1000:.0f} | {self.p95 * 1000:.0f} | {self.throughput:.1f} | "
                f"{ratio} | {self.done}/{self.done + self.failed} | {self.too_many} | {rss} |")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (0 if it is gone)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return 0.0


def machine_ticks() -> tuple[int, int]:
    """(all CPU ticks, stolen ticks) of the machine so far (/proc/stat): a virtual machine whose host gives its
    CPU to others for part of a run measures less in that run — printed beside the figures."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields[:8]), fields[7]
    return 0, 0


def _is_postgres(entry: Path) -> bool:
    return (entry / "comm").read_text().strip() == "postgres"


def _is_nlu_server(entry: Path) -> bool:
    """The NLU gateway (`python -m nlu.serving`) and the Rasa server behind it (`rasa run`)."""
    words = (entry / "cmdline").read_bytes().split(b"\0")
    return b"nlu.serving" in words or (b"run" in words and any(word.endswith(b"/rasa") for word in words))


def processes_cpu(wanted: Callable[[Path], bool]) -> dict[int, float]:
    """CPU seconds of every process `wanted` picks (backends come and go: compare per pid)."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if wanted(entry):
                    found[int(entry.name)] = cpu_seconds(int(entry.name))
    return found


def postgres_cpu() -> dict[int, float]:
    return processes_cpu(_is_postgres)


def nlu_server_cpu() -> dict[int, float]:
    return processes_cpu(_is_nlu_server)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


async def drive(name: str, ask, applicants: int, per_user: int, questions: list[str], first_chat: int) -> Figures:
    latencies: list[float] = []
    failed = 0

    async def applicant(number: int) -> None:
        nonlocal failed
        for k in range(per_user):
            text = questions[(number * per_user + k) % len(questions)]
            try:
                latencies.append(await asyncio.wait_for(ask(first_chat + number, text), timeout=30))
            except Exception:
                failed += 1

    started = time.perf_counter()
    await asyncio.gather(*(applicant(number) for number in range(applicants)))
    elapsed = time.perf_counter() - started
    return Figures(name, statistics.median(latencies) if latencies else float("nan"), percentile(latencies, 0.95),
                   len(latencies) / elapsed, len(latencies), failed, [])


def median_figures(name: str, rounds: list[Figures], stolen: float = 0.0) -> Figures:
    return Figures(name, statistics.median(r.p50 for r in rounds), statistics.median(r.p95 for r in rounds),
                   statistics.median(r.throughput for r in rounds), sum(r.done for r in rounds),
                   sum(r.failed for r in rounds), [], rounds=rounds, stolen=stolen)


def via(standin: StandIn):
    async def ask(chat_id: int, text: str) -> float:
        reply = standin.expect_reply(chat_id)
        started = time.perf_counter()
        await standin.deliver(chat_id, text)
        return await reply - started
    return ask


def bot_env(args, base_url: str, database_url: str, nlu_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": base_url,
            "DATABASE_URL": database_url, "NLU_URL": nlu_url, "NLU_TOKEN": args.token or "", "ADMIN_IDS": "",
            "LOG_LEVEL": "WARNING", "TELEGRAM_RATE_LIMITER": "true" if args.rate_limiter else "false",
            "RESPONDENT_KEY_SECRET": "bench-respondent-key-secret", **extra}


async def reset_database(url: str) -> None:
    from tests.conftest import reset_postgres_schema

    if url.startswith("postgresql"):
        await reset_postgres_schema(url)


async def engines_of(url: str, first_chat: int, last_chat: int) -> dict[str, int]:
    """How the measured questions were classified (`questions.engine`): a bot that falls back to the lexical
    matcher under load answers faster and worse, so a throughput means little without this."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text(
                "SELECT engine, count(*) FROM questions WHERE chat_id BETWEEN :first AND :last GROUP BY engine"),
                {"first": first_chat, "last": last_chat})
            engines = {str(name): int(count) for name, count in rows}
            # every applicant asks different questions: the same question of one chat twice is an update
            # processed twice (a doubled answer)
            doubled = await connection.scalar(text(
                "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM questions WHERE chat_id BETWEEN "
                ":first AND :last GROUP BY chat_id, text HAVING count(*) > 1) AS twice"),
                {"first": first_chat, "last": last_chat})
            return {**engines, "twice (doubled updates)": int(doubled or 0)}
    finally:
        await engine.dispose()


LOGS = PROJECT / ".run" / "bench-load"


def spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    """A bot process whose output goes to a file: the processes live through all the rounds, and a pipe nobody
    reads would stop one once its buffer filled."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / f"{len(list(LOGS.iterdir()))}.log").open("w") as log:
        return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


async def until(condition, processes: list[subprocess.Popen], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"process exited: {process.args} (its output: {LOGS}/)")
        if time.monotonic() > deadline:
            raise TimeoutError("process not ready")
        await asyncio.sleep(0.2)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# Questions asked before each run is measured, the same for every run: each process's first updates pay for lazy
# imports and for filling SQLAlchemy's statement cache; with 200 measured questions, p95 is the 10th slowest, so a
# cold replica's first few would set it. 20 concurrent: each of 2 replicas gets ~10.
WARM_UP = 20


@dataclass
class Setup:
    """One configuration measured in the interleaved runs: how an applicant asks it, and its processes."""

    name: str
    ask: Callable[[int, str], Awaitable[float]]
    first_chat: int
    processes: list[subprocess.Popen] = field(default_factory=list)
    standin: StandIn | None = None
    database_url: str = ""
    rounds: list[Figures] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=lambda: {"bot": 0.0, "bench": 0.0, "postgres": 0.0, "nlu": 0.0})
    too_many_before: int = 0  # the stand-in's 429s before the measured rounds (the warm-up's)


async def start_standin(limits: bool, first_update_id: int) -> tuple[StandIn, str, Callable[[], Awaitable[None]]]:
    """A Bot API stand-in on a port of its own: (it, the bot's base URL, how to stop it)."""
    standin = StandIn(limits=limits, first_update_id=first_update_id)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(standin.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)

    async def close() -> None:
        server.should_exit = True
        await serving
        await standin.aclose()
    return standin, f"http://127.0.0.1:{port}/bot", close


async def measure_interleaved(setups: list[Setup], args, questions: list[str]) -> list[Figures]:
    """Round n of every setup, then round n + 1 of every setup, …; the CPU of each setup's processes, of this bench
    and of PostgreSQL counted during its own rounds only. Each round has `args.applicants` × `args.questions`, new
    applicants each round (a first question costs more than a later one, so every round has the same mix). One
    round of 200 questions lasts about 4 s: a pause of the machine in it moves its p95 by half — the median of several
    rounds is what the configuration does, their spread is printed beside it."""
    for setup in setups:
        setup.too_many_before = setup.standin.too_many if setup.standin is not None else 0
    ticks_before, stolen_before = machine_ticks()
    for number in range(args.rounds):
        for setup in setups:
            bots_before = [cpu_seconds(process.pid) for process in setup.processes]
            bench_before, pg_before, nlu_before = time.process_time(), postgres_cpu(), nlu_server_cpu()
            setup.rounds.append(await drive(setup.name, setup.ask, args.applicants, args.questions, questions,
                                            setup.first_chat + number * args.applicants))
            setup.cpu["bench"] += time.process_time() - bench_before
            setup.cpu["postgres"] += sum(value - pg_before.get(pid, 0.0) for pid, value in postgres_cpu().items())
            setup.cpu["nlu"] += sum(value - nlu_before.get(pid, 0.0) for pid, value in nlu_server_cpu().items())
            setup.cpu["bot"] += sum(cpu_seconds(process.pid) - was
                                    for process, was in zip(setup.processes, bots_before, strict=True))
    ticks_after, stolen_after = machine_ticks()
    stolen = (stolen_after - stolen_before) / max(ticks_after - ticks_before, 1)
    results = []
    anchor = next((setup for setup in setups if setup.name.startswith("thin")), None)
    for setup in setups:
        figures = median_figures(setup.name, setup.rounds, stolen)
        figures.cpu_ms = {key: value * 1000 / max(figures.done, 1) for key, value in setup.cpu.items()}
        if setup.processes:
            figures.rss_mb = [rss_mb(process.pid) for process in setup.processes]
        if anchor is not None and anchor is not setup and setup.processes:
            figures.paired = (
                statistics.median(mine.throughput / theirs.throughput
                                  for mine, theirs in zip(setup.rounds, anchor.rounds, strict=True)),
                statistics.median(mine.p95 / theirs.p95 for mine, theirs in zip(setup.rounds, anchor.rounds, strict=True)),
            )
        if setup.standin is not None:
            figures.too_many = setup.standin.too_many - setup.too_many_before
        if setup.database_url:
            figures.engines = await engines_of(setup.database_url, setup.first_chat,
                                               setup.first_chat + args.rounds * args.applicants - 1)
        results.append(figures)
    return results


async def main(args: argparse.Namespace) -> None:
    shutil.rmtree(LOGS, ignore_errors=True)
    questions = [item.text for item in load_heldout(PROJECT / "knowledge" / "eval" / "independent.yaml")]
    runs = set(args.runs.split(","))
    rasa_params = {"token": args.token} if args.token else {}
    setups: list[Setup] = []
    closers: list[Callable[[], Awaitable[None]]] = []
    results: list[Figures] = []
    client = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=100))
    bot = [sys.executable, "-m", "bot"]
    if args.profile:  # cProfile of the polling bot while it serves (scripts/profile_bot.py)
        bot = [sys.executable, "-m", "scripts.profile_bot", args.profile]
    started: list[Setup] = []  # every setup with processes, to stop them whatever happens

    async def polled(name: str, first_chat: int, command_for: Callable[[str], tuple[list[str], dict[str, str]]],
                     database_url: str = "") -> Setup:
        """A bot by long polling on a stand-in of its own (update ids from first_chat × 1000), once it polls."""
        standin, base_url, close = await start_standin(args.telegram_limits, first_chat * 1000)
        closers.append(close)
        command, env = command_for(base_url)
        setup = Setup(name, via(standin), first_chat, [spawn(command, env)], standin, database_url)
        started.append(setup)
        await until(lambda: standin.calls["getUpdates"] > 0, setup.processes)
        return setup

    async def warm_up(setups: list[Setup]) -> None:
        for setup in setups:
            await drive(setup.name + " warm-up", setup.ask, WARM_UP, 1, questions, setup.first_chat - 100)

    try:
        if "rasa" in runs:
            async def parse(_: int, text: str) -> float:
                started = time.perf_counter()
                (await client.post(f"{args.rasa_url}/model/parse", json={"text": text}, params=rasa_params)
                 ).raise_for_status()
                return time.perf_counter() - started
            setups.append(Setup("Rasa server alone (/model/parse)", parse, 0))
        if runs & {"polling", "webhook"}:
            await reset_database(args.database_url)
        if "thin" in runs:
            setups.append(await polled("thin anchor bot (PTB → Rasa, no DB)", 100_000, lambda base_url: (
                [sys.executable, "-m", "scripts.thin_bot", "--base-url", base_url, "--token", TOKEN,
                 "--rasa-url", args.rasa_url, "--rasa-token", args.token or ""],
                {**os.environ, "PYTHONPATH": str(PROJECT)})))
        if "polling" in runs:
            setups.append(await polled("bot, polling, 1 process, PostgreSQL", 200_000, lambda base_url: (
                bot, bot_env(args, base_url, args.database_url, args.rasa_url)), args.database_url))
        if "webhook" in runs:
            standin, base_url, close = await start_standin(args.telegram_limits, 300_000 * 1000)
            closers.append(close)
            ports = [free_port(), free_port()]
            replicas = [spawn(bot, bot_env(args, base_url, args.database_url, args.rasa_url, REPLICA_ID=f"w{n}",
                                           WEBHOOK_URL=f"http://127.0.0.1:{p}/telegram", WEBHOOK_SECRET=SECRET,
                                           WEBHOOK_LISTEN_HOST="127.0.0.1", WEBHOOK_LISTEN_PORT=str(p)))
                        for n, p in enumerate(ports)]
            setups.append(Setup("bot, webhook, 2 replicas, PostgreSQL", via(standin), 300_000, replicas, standin,
                                args.database_url))
            started.append(setups[-1])

            def webhooks_up(standin: StandIn = standin) -> bool:
                if standin.calls["setWebhook"] < 2:
                    return False
                try:
                    return all(httpx.get(f"http://127.0.0.1:{p}/healthz", timeout=1).status_code == 200 for p in ports)
                except httpx.HTTPError:
                    return False
            await until(webhooks_up, replicas)
            standin.webhook_targets = [f"http://127.0.0.1:{p}/telegram" for p in ports]
        await warm_up(setups)
        results = await measure_interleaved(setups, args, questions)
        rasa_pid = PROJECT / ".run" / "rasa.pid"
        if results and results[0].name.startswith("Rasa") and rasa_pid.exists():
            results[0].rss_mb = [rss_mb(int(rasa_pid.read_text()))]
        stop([process for setup in setups for process in setup.processes])

        if "down" in runs:  # alone: with Rasa unreachable the bot does not share the cores with it
            await reset_database(args.database_url)
            down = await polled("bot, polling, NLU down (lexical matcher)", 400_000, lambda base_url: (
                bot, bot_env(args, base_url, args.database_url, "http://127.0.0.1:9")), args.database_url)
            await warm_up([down])
            results += await measure_interleaved([down], args, questions)
    finally:
        stop([process for setup in started for process in setup.processes if process.poll() is None])
        await client.aclose()
        for close in closers:
            await close()

    anchor = next((figures for figures in results if figures.name.startswith("thin")), None)
    print(f"\n{args.applicants} applicants × {args.questions} questions, median of {args.rounds} rounds (runs 1–4 "
          f"interleaved round by round; ratios: medians of the round-by-round ratios), Telegram limits "
          f"{'enforced' if args.telegram_limits else 'off'}, bot rate limiter {'on' if args.rate_limiter else 'off'}; "
          f"429 answered by the stand-ins: {sum(figures.too_many for figures in results)}\n")
    print("| run | p50 ms | p95 ms | questions/s | throughput ÷ thin | p95 ÷ thin | answered | 429s | RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for figures in results:
        print(figures.row(None if figures.name.startswith("Rasa") else anchor))
    print("\nSpread of the rounds (lowest–highest), and what classified the bot's questions:\n")
    for figures in results:
        classified = ", ".join(f"{name} {count}" for name, count in sorted(figures.engines.items()))
        print(f"- {figures.name}: {figures.spread()}; CPU stolen by the host {figures.stolen:.0%}"
              + (f"; classified by {classified}" if classified else ""))
    print("\nCPU ms per answered question (other processes on the machine count in PostgreSQL's share; the NLU"
          " server is its gateway and Rasa):\n")
    print("| run | bot process(es) | bench (stand-in + applicants) | PostgreSQL | NLU server |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for figures in results:
        if figures.cpu_ms:
            bot = "—" if figures.name.startswith("Rasa") else f"{figures.cpu_ms['bot']:.1f}"
            print(f"| {figures.name} | {bot} | {figures.cpu_ms['bench']:.1f} | {figures.cpu_ms['postgres']:.1f} | "
                  f"{figures.cpu_ms['nlu']:.1f} |")
    invitations = PROJECT / "scripts" / "bench_invitations.py"
    if invitations.exists() and not args.no_invitations:
        print("\nInvitations (scripts/bench_invitations.py):", flush=True)
        subprocess.run([sys.executable, "-m", "scripts.bench_invitations"], cwd=PROJECT, check=False,
                       env={**os.environ, "BENCH_DATABASE_URL": args.database_url, "PYTHONPATH": str(PROJECT)})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--token", default=None)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--applicants", type=int, default=50)
    parser.add_argument("--questions", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5, help="rounds per run, new applicants each; medians are printed")
    parser.add_argument("--telegram-limits", action="store_true", help="stand-in answers 429 above Telegram's limits")
    parser.add_argument("--runs", default="rasa,thin,polling,webhook,down",
                        help="which runs, comma-separated (ratios need thin)")
    parser.add_argument("--profile", default="", help="write a cProfile of the bot process to this file")
    parser.add_argument("--no-invitations", action="store_true", help="skip scripts/bench_invitations.py")
    parser.add_argument("--rate-limiter", action="store_true", help="keep the bot's in-process AIORateLimiter on")
    arguments = parser.parse_args()
    if not arguments.database_url.startswith("postgresql"):
        parser.error("--database-url (or BENCH_DATABASE_URL) must be a PostgreSQL URL: scripts/postgres-test-db.sh NAME")
    asyncio.run(main(arguments))
