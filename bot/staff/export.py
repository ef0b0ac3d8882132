"""Survey exports: one row per completed response, one column per question, as CSV or XLSX.

Built to stream: the responses and their answers come from the database in batches (`yield_per`) in one
ordered pass, each response becomes a row the moment its last answer has been read, and rows go straight
to a temporary file — a CSV writer, or an openpyxl *write-only* workbook, which keeps rows on disk rather
than in memory. Memory therefore stays flat however many responses there are (scripts/bench_export.py
measures it). A progress callback is awaited after every batch, which also gives the event loop room to
serve other updates during a long export.

Format:
* columns: response_id, started_at, completed_at (ISO 8601, UTC), duration_s, language, anonymous, then one
  column per question, headed by the question id (stable and language-independent; the XLSX file has a
  second sheet "questions" with each question's text and choices);
* values in the exporting staff member's language: scale → number, single → choice label, multi → labels
  joined with "; ", yes/no → the localized word, text → the text; a skipped or missing answer → empty;
* CSV: UTF-8 with a byte-order mark (so Excel and LibreOffice show Latvian and Russian letters), comma
  separated. Free text starting with = + - @ is prefixed with an apostrophe (spreadsheet formula injection);
  XLSX stores such text as a plain string instead, unchanged.
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from bot.db.models import as_utc
from bot.surveys.schema import UNSURE, Question, Survey

from .repositories import StaffRepository
from .stats import decode

Format = Literal["csv", "xlsx"]
FORMATS: tuple[str, ...] = ("csv", "xlsx")
BATCH_SIZE = 500  # at least this many responses between progress reports
FETCH_SIZE = 2000  # rows (answers) fetched from the database at a time
BASE_COLUMNS = ("response_id", "started_at", "completed_at", "duration_s", "language", "anonymous")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XLSX = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

Progress = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True)
class ValueLabels:
    """How to write values that are not numbers or free text, in the exporting staff member's language."""

    language: str = "lv"
    yes: str = "yes"
    no: str = "no"
    unsure: str = "hard to say"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    rows: int
    seconds: float


def header(survey: Survey) -> list[str]:
    return [*BASE_COLUMNS, *(question.id for question in survey.questions)]


def iso(moment: datetime | None) -> str:
    return as_utc(moment).isoformat(timespec="seconds") if moment is not None else ""


def cell_value(question: Question, raw: str | None, skipped: bool, labels: ValueLabels) -> Any:
    """A stored answer (JSON) as a spreadsheet value; None for skipped/missing."""
    if skipped or raw is None:
        return None
    value = decode(raw)
    if value == UNSURE and question.type in ("scale", "yes_no"):
        return labels.unsure
    if question.type == "scale":
        return value
    if question.type == "yes_no":
        return labels.yes if value else labels.no
    if question.type == "single":
        choice = question.choice(str(value))
        return choice.label.get(labels.language) if choice else str(value)
    if question.type == "multi":
        chosen = set(value if isinstance(value, list) else [value])
        named = [choice.label.get(labels.language) for choice in question.choices if choice.id in chosen]
        named += sorted(str(item) for item in chosen - {choice.id for choice in question.choices})
        return "; ".join(named)
    return value if isinstance(value, str) else str(value)


class _CsvWriter:
    def __init__(self, path: Path) -> None:
        self._handle = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._handle)

    def write(self, row: list[Any]) -> None:
        self._writer.writerow(["" if value is None else _csv_safe(value) for value in row])

    def close(self, survey: Survey, labels: ValueLabels) -> None:
        self._handle.close()

    def abort(self) -> None:
        self._handle.close()


def _csv_safe(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _XlsxWriter:
    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self._path = path
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet("responses")

    def _cell(self, value: Any) -> Any:
        if isinstance(value, str):
            value = _ILLEGAL_XLSX.sub("", value)
            if value.startswith("="):  # openpyxl would store it as a formula: force a plain string
                from openpyxl.cell import WriteOnlyCell

                cell = WriteOnlyCell(self._sheet, value=value)
                cell.data_type = "s"
                return cell
        return value

    def write(self, row: list[Any]) -> None:
        self._sheet.append([self._cell(value) for value in row])

    def close(self, survey: Survey, labels: ValueLabels) -> None:
        sheet = self._workbook.create_sheet("questions")
        sheet.append(["question_id", "type", "text", "choices"])
        for question in survey.questions:
            choices = "; ".join(f"{c.id} = {c.label.get(labels.language)}" for c in question.choices)
            if question.type == "scale":
                choices = f"{question.min}–{question.max}"
            sheet.append([question.id, question.type, self._cell(question.text.get(labels.language)), self._cell(choices)])
        self._workbook.save(self._path)

    def abort(self) -> None:
        self._workbook.close()


def _row(survey: Survey, response: tuple[Any, ...], answers: dict[str, tuple[str | None, bool]], labels: ValueLabels) -> list[Any]:
    response_id, started_at, completed_at, language, anonymous = response
    duration = (
        round((as_utc(completed_at) - as_utc(started_at)).total_seconds())
        if completed_at is not None and started_at is not None
        else None
    )
    values = [response_id, iso(started_at), iso(completed_at), duration, language, bool(anonymous)]
    for question in survey.questions:
        raw, skipped = answers.get(question.id, (None, True))
        values.append(cell_value(question, raw, skipped, labels))
    return values


async def export_survey(
    repo: StaffRepository,
    survey: Survey,
    fmt: str = "csv",
    labels: ValueLabels | None = None,
    progress: Progress | None = None,
    directory: Path | str | None = None,
    batch_size: int | None = None,
) -> ExportResult:
    """Write every completed response of `survey` to a new temporary file; the caller deletes it."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    labels = labels or ValueLabels()
    batch_size = batch_size or BATCH_SIZE
    began = time.perf_counter()
    total = await repo.count_completed(survey.id)
    handle, name = tempfile.mkstemp(prefix=f"{survey.id}-", suffix=f".{fmt}", dir=directory)
    os.close(handle)
    path = Path(name)
    writer = _CsvWriter(path) if fmt == "csv" else _XlsxWriter(path)
    rows = 0
    try:
        writer.write(header(survey))
        if progress is not None:
            await progress(0, total)
        current: tuple[Any, ...] | None = None
        answers: dict[str, tuple[str | None, bool]] = {}
        reported = 0
        # Whole partitions, not row by row: each step of an async result is a hop into the database driver.
        async for partition in repo.export_partitions(survey.id, FETCH_SIZE):
            for response_id, started_at, completed_at, language, anonymous, question_id, value, skipped in partition:
                if current is None or current[0] != response_id:
                    if current is not None:
                        writer.write(_row(survey, current, answers, labels))
                        rows += 1
                    current = (response_id, started_at, completed_at, language, anonymous)
                    answers = {}
                if question_id is not None:
                    answers[question_id] = (value, bool(skipped))
            if rows - reported >= batch_size:
                reported = rows
                if progress is not None:
                    await progress(rows, total)
            await asyncio.sleep(0)  # let the bot serve other updates between partitions
        if current is not None:
            writer.write(_row(survey, current, answers, labels))
            rows += 1
        await asyncio.to_thread(writer.close, survey, labels)  # saving a workbook is CPU work: off the event loop
    except BaseException:
        writer.abort()
        path.unlink(missing_ok=True)
        raise
    if progress is not None:
        await progress(rows, max(total, rows))
    return ExportResult(path=path, format=fmt, rows=rows, seconds=time.perf_counter() - began)


def export_filename(survey: Survey, fmt: str, now: datetime) -> str:
    return f"{survey.id}-{as_utc(now):%Y%m%d-%H%M}.{fmt}"
