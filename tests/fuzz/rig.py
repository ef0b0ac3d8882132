"""The fuzzing rig: ONE real PTB Application (every handler, the error handler, the real use cases and database)
on the offline Bot API, shared by all examples of the fuzz suite, with its own event loop — so ten thousand
updates cost milliseconds each, not an Application and a migrated database each.

`send()` processes one update and checks every Bot API call it made (`check_call`); errors that reach the error
handler are recorded, with the update, and the tests assert there are none.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import build_application, build_services, close_services
from bot.config import Settings
from bot.db.models import AuditLog, SurveyState
from bot.offline import ApiCall, OfflineBotApi
from handlers.common import MAX_CALLBACK_BYTES, parse
from knowledge.loader import DEFAULT_DATA_DIR
from tests.telegram_html import TelegramHtmlError, visible_text

ADMIN = 1001
STAFF_GROUP = -1001234500000
TEXT_LIMIT, CAPTION_LIMIT, ALERT_LIMIT = 4096, 1024, 200


class InvalidCall(AssertionError):
    pass


class _ErrorLog(logging.Handler):
    """Errors logged while an update is handled (a use case that catches and logs is still a failure here)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def _markup(params: dict[str, Any]) -> dict[str, Any]:
    markup = params.get("reply_markup")
    return json.loads(markup) if isinstance(markup, str) else markup or {}


def check_call(call: ApiCall) -> None:
    """Raise InvalidCall for anything Telegram would refuse (or show broken)."""
    params = call.params
    html = params.get("parse_mode") == "HTML"
    if call.method in ("sendMessage", "editMessageText"):
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise InvalidCall(f"{call.method} without text")
        _check_text(text, html, TEXT_LIMIT, call.method)
    if call.method in ("sendPhoto", "sendDocument") and params.get("caption"):
        _check_text(str(params["caption"]), html, CAPTION_LIMIT, call.method)
    if call.method == "answerCallbackQuery" and len(str(params.get("text") or "")) > ALERT_LIMIT:
        raise InvalidCall(f"callback answer longer than {ALERT_LIMIT}")
    if call.method.startswith("send") and params.get("chat_id") in (None, ""):
        raise InvalidCall(f"{call.method} without chat_id")
    for row in _markup(params).get("inline_keyboard") or []:
        for button in row:
            if not str(button.get("text") or "").strip():
                raise InvalidCall(f"a button without text: {button}")
            data = button.get("callback_data")
            if data is not None and (not data or len(data.encode()) > MAX_CALLBACK_BYTES or parse(data) is None):
                raise InvalidCall(f"callback data Telegram or our grammar would refuse: {data!r}")


def _check_text(text: str, html: bool, limit: int, method: str) -> None:
    try:
        shown = visible_text(text) if html else text
    except TelegramHtmlError as exc:
        raise InvalidCall(f"{method}: HTML Telegram would refuse: {exc}\n{text[:500]!r}") from exc
    if not shown.strip():
        raise InvalidCall(f"{method}: the text is empty after entity parsing")
    if len(shown) > limit:
        raise InvalidCall(f"{method}: {len(shown)} characters after entity parsing (limit {limit})")


@dataclass
class Stats:
    updates: int = 0
    calls: int = 0
    durations: list[float] = field(default_factory=list)
    slowest: str = ""
    slowest_seconds: float = 0.0

    def line(self) -> str:
        if not self.durations:
            return "fuzz: no updates"
        ordered = sorted(self.durations)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (f"fuzz: {self.updates} updates, {self.calls} Bot API calls checked; per update: mean "
                f"{1000 * sum(ordered) / len(ordered):.1f} ms, p99 {1000 * p99:.1f} ms, max {1000 * ordered[-1]:.1f} ms "
                f"({self.slowest})")


STATS = Stats()  # read by tests/conftest.py's terminal summary


class Rig:
    def __init__(self, directory: Path, database_url: str | None, scratch: Path | None = None) -> None:
        """`scratch`: where the SQLite file goes (a tmpfs such as /dev/shm spares ten thousand fsyncs)."""
        self.loop = asyncio.new_event_loop()
        if database_url:  # PostgreSQL (TEST_DATABASE_URL): an empty schema, migrated from scratch
            from tests.conftest import reset_postgres_schema

            self.run(reset_postgres_schema(database_url))
        knowledge = directory / "knowledge"  # staff buttons may add examples: never to the real knowledge base
        shutil.copytree(DEFAULT_DATA_DIR, knowledge)
        self.settings = Settings(
            _env_file=None, telegram_bot_token=None, nlu_url="http://127.0.0.1:9", admin_ids=str(ADMIN),
            database_url=database_url or f"sqlite+aiosqlite:///{(scratch or directory) / 'fuzz.db'}", knowledge_dir=knowledge,
            staff_chat_id=STAFF_GROUP,
        )
        self.services = self.run(build_services(self.settings, use_nlu=False))
        self.api = OfflineBotApi()
        self.app = build_application(self.settings, self.services, request=self.api, rate_limit=False)
        self.run(self.app.initialize())
        self.errors: list[str] = []
        self.updates_sent = 0
        self.app.add_error_handler(self._record)  # after handlers.errors.on_error: both run
        self.logged = _ErrorLog()
        logging.getLogger().addHandler(self.logged)

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    async def _record(self, update: object, context: Any) -> None:
        error = context.error
        self.errors.append("".join(traceback.format_exception(error)) if error else "error handler without error")

    def send(self, update: Any) -> list[ApiCall]:
        """Process one update; every Bot API call it made is checked; errors raise with the update."""
        self.api.clear()
        self.errors.clear()
        self.logged.records.clear()
        started = time.perf_counter()
        self.run(self.app.process_update(update))
        elapsed = time.perf_counter() - started
        STATS.updates += 1
        self.updates_sent += 1
        STATS.durations.append(elapsed)
        if elapsed > STATS.slowest_seconds:
            STATS.slowest_seconds, STATS.slowest = elapsed, _describe(update)
        calls = list(self.api.calls)
        STATS.calls += len(calls)
        if self.errors:
            errors, self.errors[:] = list(self.errors), []
            raise AssertionError(f"unhandled error for {_describe(update)}:\n{errors[0]}")
        if self.logged.records:
            records, self.logged.records[:] = list(self.logged.records), []
            raise AssertionError(f"error logged for {_describe(update)}:\n{records[0]}")
        for call in calls:
            try:
                check_call(call)
            except InvalidCall as exc:
                raise InvalidCall(f"{exc}\nfor {_describe(update)}") from None
        return calls

    def staff_rows(self) -> tuple[int, int]:
        async def count() -> tuple[int, int]:
            async with self.services.uow() as uow:
                audit = (await uow.session.execute(select(func.count()).select_from(AuditLog))).scalar_one()
                states = (await uow.session.execute(select(func.count()).select_from(SurveyState))).scalar_one()
                return audit, states

        result: tuple[int, int] = self.run(count())
        return result

    def knowledge_files(self) -> dict[str, bytes]:
        return {str(path): path.read_bytes() for path in sorted(self.settings.knowledge_dir.rglob("*.yaml"))}

    def close(self) -> None:
        logging.getLogger().removeHandler(self.logged)
        self.run(self.app.shutdown())
        self.run(close_services(self.services))
        self.loop.close()


def _describe(update: Any) -> str:
    text = json.dumps(update.to_dict(), ensure_ascii=True)
    return text if len(text) < 600 else text[:600] + "…"
