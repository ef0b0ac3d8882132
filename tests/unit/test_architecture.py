"""The layering rules of docs/CONTRIBUTING-architecture.md, checked on the source text."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("bot", "handlers", "knowledge", "nlu")
MAX_LINES = 400


def _sources(*folders: str) -> list[Path]:
    return [path for folder in folders for path in (PROJECT / folder).rglob("*.py") if "migrations" not in path.parts]


def _imports(path: Path, package: str) -> bool:
    return bool(re.search(rf"^\s*(from {package}\b|import {package}\b)", path.read_text(encoding="utf-8"), re.M))


def test_only_the_composition_root_imports_handlers():
    assert [p.relative_to(PROJECT) for p in _sources("bot", "knowledge") if _imports(p, "handlers")] == [
        Path("bot/app.py")
    ]


def test_the_database_layer_imports_no_feature_package():
    for path in _sources("bot/db"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*from (bot\.(surveys|staff|qa|questions|handoff|privacy)|\.\.(surveys|staff))", source,
                             re.M), path


def test_handlers_never_touch_the_session():
    for path in _sources("handlers"):
        assert not re.search(r"\.session\b", path.read_text(encoding="utf-8")), path


def test_handler_modules_do_not_import_each_other_for_helpers():
    """Shared helpers live in handlers/common.py; only the registry (__init__) and the /start deep link
    (commands → surveys) reach into sibling modules."""
    allowed = {("handlers/commands.py", "surveys")}
    for path in _sources("handlers"):
        relative = str(path.relative_to(PROJECT))
        if path.name == "__init__.py" or relative.startswith("handlers/staff/"):
            continue
        for module in re.findall(r"^from \.(\w+) import|^from \. import ([\w, ]+)", path.read_text(encoding="utf-8"), re.M):
            names = [name.split(" as ")[0].strip() for part in module for name in part.split(",") if name.strip()]
            for name in names:
                assert name in {"common", "keyboards", "survey_views"} or (relative, name) in allowed, (relative, name)


def test_no_source_file_is_over_400_lines():
    for path in _sources(*SOURCE_DIRS):
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= MAX_LINES, f"{path.relative_to(PROJECT)}: {lines} lines"
