"""A broken hand-edited file, bad settings or an unreachable database stop the start with a clear message
(file / item / field, or what to fix) and a non-zero exit code — never a stack trace."""

from __future__ import annotations

import logging
import shutil

import pytest

from bot.__main__ import main
from knowledge.loader import DEFAULT_DATA_DIR


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("TELEGRAM_BOT_TOKEN", "ADMIN_IDS", "KNOWLEDGE_DIR", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("NLU_URL", "http://127.0.0.1:9")
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)  # main() configures logging for the process; don't leak that into other tests


def test_broken_knowledge_base_file_is_named(monkeypatch, tmp_path, caplog):
    data = tmp_path / "kb"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    (data / "entries" / "facts.yaml").write_text("entries: [oops\n", encoding="utf-8")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(data))
    assert main(["--console"]) == 2
    assert "cannot start" in caplog.text and "facts.yaml: not valid YAML" in caplog.text


def test_bad_admin_ids_explain_the_expected_format(monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_IDS", "12,abc")
    assert main(["--console"]) == 2
    assert "ADMIN_IDS must be comma-separated numeric Telegram user ids" in capsys.readouterr().err


def test_unreachable_database_is_reported_without_its_password(monkeypatch, caplog):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://user:s3cret@127.0.0.1:1/db")
    caplog.set_level(logging.ERROR)
    assert main(["--console"]) == 3
    assert "database at postgresql+asyncpg://user:***@127.0.0.1:1/db is not usable" in caplog.text
    assert "s3cret" not in caplog.text
