"""Export benchmark: time and memory of `/export` for 10,000 completed survey responses, CSV and XLSX.

    .venv/bin/python -m scripts.bench_export [--responses 10000] [--survey surveys/participants.yaml]

Seeds a temporary SQLite database (migrated like the bot's) with N completed responses of a realistic
survey — every question answered by type, the optional ones sometimes skipped, about a third of the free-text
answers filled with 40–600 characters of Latvian or Russian text — then runs `bot.staff.export.export_survey`
exactly as the `/export` handler does (one session, streaming, progress callback), once per format.

Each measurement runs in a fresh child process, so the numbers are those of the export alone:
* seconds: wall time of the export, without tracing;
* RSS growth: peak resident set size (getrusage ru_maxrss) after the export minus before it, in the same
  untraced run — what the bot process would grow by;
* tracemalloc peak: peak of Python allocations during the export, in a second, traced run (slower).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from sqlalchemy import insert  # noqa: E402

from bot.db.database import create_engine, create_session_factory, migrate  # noqa: E402
from bot.db.models import SurveyAnswer, SurveyResponse  # noqa: E402
from bot.staff.export import ValueLabels, export_survey  # noqa: E402
from bot.staff.repositories import StaffRepository  # noqa: E402
from bot.surveys.schema import Survey, load_survey  # noqa: E402

DEFAULT_SURVEY = PROJECT / "surveys" / "participants.yaml"
FALLBACK_SURVEY = PROJECT / "tests" / "fixtures" / "surveys" / "staff_demo.yaml"
SEED_BATCH = 1000
WORDS_LV = ["aktivitāte", "bija", "ļoti", "noderīga,", "satikām", "kaimiņus", "no", "citas", "kopienas", "un", "runājām", "par", "kopīgām", "vērtībām", "skolēni", "iesaistījās,", "bet", "pietrūka", "laika", "diskusijai;", "nākamreiz", "vēlētos", "vairāk", "praktisku", "uzdevumu"]
WORDS_RU = ["было", "интересно", "познакомиться", "с", "людьми", "из", "другой", "общины,", "хотелось", "бы", "больше", "времени", "на", "обсуждение", "и", "практические", "задания", "для", "молодёжи;", "спасибо", "организаторам"]


def _answer(question, rng: random.Random) -> tuple[object | None, bool]:
    """A plausible answer (value, skipped) for one question."""
    if question.optional and rng.random() < 0.15:
        return None, True
    if question.type == "scale":
        points = question.scale_points
        weights = [1 + index for index in range(len(points))]  # skewed towards the positive end, as in reality
        return rng.choices(points, weights)[0], False
    if question.type == "single":
        return rng.choice(question.choices).id, False
    if question.type == "multi":
        return [choice.id for choice in rng.sample(question.choices, rng.randint(1, min(3, len(question.choices))))], False
    if question.type == "yes_no":
        return rng.random() < 0.8, False
    if rng.random() < 0.6:
        return None, True
    words = WORDS_LV if rng.random() < 0.7 else WORDS_RU
    text = " ".join(rng.choice(words) for _ in range(rng.randint(6, 80)))
    return text[: question.max_length], False


async def seed(database: Path, survey: Survey, count: int) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await migrate(engine)
    rng = random.Random(42)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with engine.begin() as connection:
        for first in range(1, count + 1, SEED_BATCH):
            ids = range(first, min(first + SEED_BATCH, count + 1))
            responses, answers = [], []
            for response_id in ids:
                started = start + timedelta(minutes=7 * response_id)
                completed = started + timedelta(seconds=rng.randint(60, 900))
                anonymous = rng.random() < 0.5
                responses.append(
                    {
                        "id": response_id, "survey_id": survey.id, "user_id": None if anonymous else 10_000_000 + response_id,
                        "respondent_key": f"bench-{response_id}", "anonymous": anonymous,
                        "language": rng.choices(("lv", "ru", "en"), (70, 25, 5))[0], "status": "completed",
                        "current_question": None, "version": 1, "started_at": started, "updated_at": completed,
                        "completed_at": completed,
                    }
                )
                for question in survey.questions:
                    value, skipped = _answer(question, rng)
                    answers.append(
                        {
                            "response_id": response_id, "question_id": question.id,
                            "value": None if value is None else json.dumps(value, ensure_ascii=False),
                            "skipped": skipped, "answered_at": completed,
                        }
                    )
            await connection.execute(insert(SurveyResponse.__table__), responses)
            await connection.execute(insert(SurveyAnswer.__table__), answers)
    await engine.dispose()


async def _export(database: Path, survey: Survey, fmt: str, out_dir: Path) -> dict:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    sessions = create_session_factory(engine)
    progress_calls = 0

    async def progress(done: int, total: int) -> None:
        nonlocal progress_calls
        progress_calls += 1

    async with sessions() as session:
        await session.connection()  # connect before measuring
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        began = time.perf_counter()
        result = await export_survey(StaffRepository(session), survey, fmt, ValueLabels("lv", "jā", "nē"), progress=progress, directory=out_dir)
        seconds = time.perf_counter() - began
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    await engine.dispose()
    size = result.path.stat().st_size
    result.path.unlink()
    return {
        "format": fmt, "rows": result.rows, "seconds": seconds, "bytes": size, "progress_calls": progress_calls,
        "rss_growth_kib": rss_after - rss_before, "rss_peak_kib": rss_after,
    }


def measure(database: Path, survey_path: Path, fmt: str, trace: bool) -> dict:
    """One export in this (fresh) process; with `trace`, under tracemalloc."""
    survey = load_survey(survey_path)
    # Import everything the export touches before measuring (openpyxl is imported lazily by the writer).
    import openpyxl  # noqa: F401

    with tempfile.TemporaryDirectory() as out_dir:
        if trace:
            tracemalloc.start()
            report = asyncio.run(_export(database, survey, fmt, Path(out_dir)))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            report["tracemalloc_peak_kib"] = peak // 1024
            return report
        return asyncio.run(_export(database, survey, fmt, Path(out_dir)))


def _child(database: Path, survey_path: Path, fmt: str, trace: bool) -> dict:
    command = [sys.executable, "-m", "scripts.bench_export", "--measure", fmt, "--db", str(database), "--survey", str(survey_path)]
    if trace:
        command.append("--trace")
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=PROJECT).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--survey", type=Path, default=DEFAULT_SURVEY if DEFAULT_SURVEY.exists() else FALLBACK_SURVEY)
    parser.add_argument("--measure", choices=("csv", "xlsx"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.db, args.survey, args.measure, args.trace)))
        return

    survey = load_survey(args.survey)
    with tempfile.TemporaryDirectory(prefix="bench-export-") as scratch:
        database = Path(scratch) / "bench.db"
        began = time.perf_counter()
        asyncio.run(seed(database, survey, args.responses))
        print(f"survey {survey.id} ({len(survey.questions)} questions, {args.survey.name}); "
              f"seeded {args.responses} completed responses in {time.perf_counter() - began:.1f} s "
              f"(database {database.stat().st_size / 1e6:.1f} MB)")
        print(f"{'format':<7}{'rows':>7}{'seconds':>9}{'file MB':>9}{'RSS growth MiB':>16}{'tracemalloc peak MiB':>22}"
              f"{'traced s':>10}")
        for fmt in ("csv", "xlsx"):
            plain = _child(database, args.survey, fmt, trace=False)
            traced = _child(database, args.survey, fmt, trace=True)
            print(f"{fmt:<7}{plain['rows']:>7}{plain['seconds']:>9.2f}{plain['bytes'] / 1e6:>9.2f}"
                  f"{plain['rss_growth_kib'] / 1024:>16.1f}{traced['tracemalloc_peak_kib'] / 1024:>22.1f}"
                  f"{traced['seconds']:>10.2f}")


if __name__ == "__main__":
    main()
