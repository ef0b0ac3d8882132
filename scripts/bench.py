"""Latency and memory benchmarks: `make bench` (starts the Rasa server if needed).

    python -m scripts.bench --rasa-url http://127.0.0.1:5005 --token T [--rounds 2]

Prints:
* Rasa `POST /model/parse` latency over HTTP (the held-out questions, sequential, as the bot sends them);
* end-to-end time for one question through the real PTB Application (offline Bot API, SQLite, answer +
  question log + keyboard), with Rasa and in degraded mode (lexical matcher);
* cold start of the bot's services (knowledge base, migrations, matcher) and resident memory of the bot
  process and of the Rasa server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bot.app import build_application, build_services, close_services
from bot.config import Settings
from bot.offline import OfflineBotApi, UpdateFactory
from knowledge.loader import load_heldout, load_knowledge_base

PROJECT = Path(__file__).resolve().parent.parent


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms (n={len(ordered)})"


def _rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def bench_parse(url: str, token: str | None, texts: list[str]) -> list[float]:
    samples = []
    async with httpx.AsyncClient(timeout=10) as client:
        for text in texts:
            started = time.perf_counter()
            response = await client.post(f"{url}/model/parse", json={"text": text}, params={"token": token} if token else {})
            response.raise_for_status()
            samples.append(time.perf_counter() - started)
    return samples


async def bench_handlers(settings: Settings, texts: list[str], use_nlu: bool) -> tuple[list[float], float]:
    started = time.perf_counter()
    services = await build_services(settings, use_nlu=use_nlu)
    cold = time.perf_counter() - started
    api = OfflineBotApi()
    application = build_application(settings, services, request=api, rate_limit=False)
    samples = []
    async with application:
        for number, text in enumerate(texts):
            # One applicant per question: one user asking hundreds would be answered by the flood limit instead.
            update = UpdateFactory(application.bot, user_id=10_000 + number, language_code="lv").message(text)
            started = time.perf_counter()
            await application.process_update(update)
            samples.append(time.perf_counter() - started)
    await close_services(services)
    return samples, cold


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-url", required=True)
    parser.add_argument("--token")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rasa-pid-file", type=Path, default=PROJECT / ".run" / "rasa.pid")
    args = parser.parse_args(argv)

    kb = load_knowledge_base()
    # Asking for a person makes the *next* message a question for staff; leave those out of a latency run.
    texts = [item.text for item in load_heldout(kb=kb) if item.intent != "human_handoff"] * args.rounds
    rss_start = _rss_mb()

    parse = asyncio.run(bench_parse(args.rasa_url.rstrip("/"), args.token, texts))
    print(f"Rasa /model/parse over HTTP: {_percentiles(parse)}")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
                            nlu_url=args.rasa_url, nlu_token=args.token)
        with_rasa, cold = asyncio.run(bench_handlers(settings, texts, use_nlu=True))
        print(f"question through the bot (Rasa + SQLite + offline Bot API): {_percentiles(with_rasa)}")
        degraded, _ = asyncio.run(bench_handlers(settings, texts, use_nlu=False))
        print(f"question through the bot, degraded (lexical matcher): {_percentiles(degraded)}")
    print(f"bot services cold start (KB load + migrations + matcher): {cold:.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bot process memory: RSS {_rss_mb():.0f} MB now, peak {peak:.0f} MB (before the run: {rss_start:.0f} MB)")
    if args.rasa_pid_file.exists():
        pid = args.rasa_pid_file.read_text().strip()
        try:
            print(f"Rasa server memory: RSS {_rss_mb(pid):.0f} MB (pid {pid})")
        except OSError:
            print("Rasa server memory: not measured (server process not found)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
