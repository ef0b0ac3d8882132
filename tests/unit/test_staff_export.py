"""CSV and XLSX exports, parsed back and compared with what was seeded."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest

from bot.staff.export import BASE_COLUMNS, ValueLabels, export_survey
from tests.staff_helpers import CYRILLIC_TEXT, RESPONSES, START, TRICKY_TEXT, demo_survey, open_database, seed_survey

LV = ValueLabels("lv", "jā", "nē")


@pytest.fixture
async def db(tmp_path):
    engine, uow_factory = await open_database(tmp_path / "export.db")
    async with uow_factory() as uow:
        ids = await seed_survey(uow)
        await uow.commit()
    yield uow_factory, ids
    await engine.dispose()


def expected_rows(ids: list[int], formula_prefix: str = "") -> list[list[object]]:
    """What the four completed responses must look like (Latvian labels)."""
    rows = []
    for number, (status, language, anonymous, seconds, answers) in enumerate(RESPONSES):
        if status != "completed":
            continue
        started = START + timedelta(hours=number)
        comment = answers["comment"]
        if comment == TRICKY_TEXT:
            comment = formula_prefix + comment
        rows.append([
            ids[number],
            started.isoformat(timespec="seconds"),
            (started + timedelta(seconds=seconds)).isoformat(timespec="seconds"),
            seconds,
            language,
            anonymous,
            answers["overall"],
            {"culture": "Kultūra un māksla", "education": "Izglītība", "engagement": "Sabiedrības iesaiste"}[answers["area"]],
            "; ".join(
                label for key, label in (("skills", "Jaunas prasmes"), ("contacts", "Jaunus kontaktus"),
                                         ("understanding", "Izpratni par citām grupām")) if key in answers["gains"]
            ),
            "jā" if answers["again"] else "nē",
            comment,
        ])
    return rows


async def test_csv_has_bom_one_row_per_completed_response_and_parses_back(db, tmp_path):
    uow_factory, ids = db
    async with uow_factory() as uow:
        result = await export_survey(uow.staff, demo_survey(), "csv", LV, directory=tmp_path)
    raw = result.path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheet programs then read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == [*BASE_COLUMNS, "overall", "area", "gains", "again", "comment"]
    assert result.rows == 4 and len(rows) == 5
    as_text = [[("true" if v is True else "false" if v is False else "" if v is None else str(v)) for v in row]
               for row in expected_rows(ids, formula_prefix="'")]
    assert rows[1:] == as_text
    assert CYRILLIC_TEXT in raw.decode("utf-8-sig")
    result.path.unlink()


async def test_xlsx_parses_back_with_types_and_a_questions_sheet(db, tmp_path):
    uow_factory, ids = db
    async with uow_factory() as uow:
        result = await export_survey(uow.staff, demo_survey(), "xlsx", LV, directory=tmp_path)
    workbook = openpyxl.load_workbook(result.path, read_only=True)
    assert workbook.sheetnames == ["responses", "questions"]
    rows = [list(row) for row in workbook["responses"].iter_rows(values_only=True)]
    rows = [row + [None] * (len(rows[0]) - len(row)) for row in rows]  # read-only mode drops trailing empty cells
    assert rows[0] == [*BASE_COLUMNS, "overall", "area", "gains", "again", "comment"]
    assert rows[1:] == expected_rows(ids)  # text starting with "=" stays text, not a formula
    questions = [list(row) for row in workbook["questions"].iter_rows(values_only=True)]
    assert questions[1][:3] == ["overall", "scale", "Kā vērtējat aktivitāti kopumā?"]
    assert questions[2][3].startswith("culture = Kultūra un māksla")
    workbook.close()
    # the formula-looking answer is stored as an inline string, not as a formula
    import zipfile

    sheet = zipfile.ZipFile(result.path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    result.path.unlink()


async def test_progress_is_reported_in_batches_and_an_empty_survey_exports_a_header(db, tmp_path, monkeypatch):
    uow_factory, _ = db
    monkeypatch.setattr("bot.staff.export.FETCH_SIZE", 5)  # database rows per partition: about one response
    calls = []

    async def progress(done, total):
        calls.append((done, total))

    async with uow_factory() as uow:
        result = await export_survey(uow.staff, demo_survey(), "csv", LV, progress=progress, directory=tmp_path, batch_size=2)
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)
    done = [number for number, _ in calls]
    assert done == sorted(done) and len(calls) >= 3  # reported along the way, never backwards
    assert all(b - a >= 2 for a, b in zip(done[1:-2], done[2:-1], strict=True))  # at least batch_size apart
    result.path.unlink()

    empty = demo_survey().model_copy(update={"id": "nobody_answered"})
    async with uow_factory() as uow:
        result = await export_survey(uow.staff, empty, "xlsx", LV, directory=tmp_path)
    assert result.rows == 0
    workbook = openpyxl.load_workbook(result.path, read_only=True)
    assert len(list(workbook["responses"].iter_rows(values_only=True))) == 1
    workbook.close()
    result.path.unlink()


async def test_unknown_format_is_refused_and_leaves_no_file(db, tmp_path):
    uow_factory, _ = db
    async with uow_factory() as uow:
        with pytest.raises(ValueError):
            await export_survey(uow.staff, demo_survey(), "pdf", LV, directory=tmp_path)
    assert not list(tmp_path.glob("staff_demo-*"))
