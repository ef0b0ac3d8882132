"""Staff teaching takes effect without a restart. No Telegram.

When staff add a question to the knowledge base (`/unanswered` → ➕, `bot.staff.kb_editor`), `reload()` loads
the edited knowledge base and swaps it in whole: a new `QAService` (knowledge base, lexical matcher, language
detector) replaces the old one in one assignment, so a question already being answered finishes on the old
one and the next gets the new one. The lexical matcher (the bot's answer while Rasa is unavailable, and part of
the blended ranking) knows the example at once.

The NLU model is retrained by the NLU gateway (`nlu/serving`), which watches the same knowledge folder, trains
in the background (debounced, one at a time) and swaps a new Rasa in without downtime. Its `/status` says which
knowledge base the answering model was trained from (`knowledge.version.content_hash`) and how the last training
went; `poll()` — a job every NLU_WATCH_SECONDS — compares that with the knowledge base the bot has loaded and
tells each admin who taught something: "the model knows it now", or why the training failed (the old model keeps
answering). `poll()` also reloads when the folder changed under the bot (another bot process, a manual edit).
Who waits for that message is kept in memory: after a bot restart nobody is told (the model still retrains).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from knowledge.language import LanguageDetector
from knowledge.loader import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from knowledge.matcher import LexicalMatcher
from knowledge.version import content_hash

from .formatting import escape
from .i18n import Translator
from .qa import QAProvider, QAService

log = logging.getLogger(__name__)

Send = Callable[[int, str], Awaitable[bool]]  # (chat id, finished HTML) -> delivered
MAX_ERROR = 900  # characters of the training log shown to staff


class StatusSource(Protocol):
    async def status(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class ModelStatus:
    """What the NLU server says about the model answering (all None when it does not say)."""

    reachable: bool
    trained_at: datetime | None = None
    knowledge: str | None = None  # knowledge-base hash the model was trained from
    training: str | None = None  # the last background training: waiting, running, ok, failed
    training_knowledge: str | None = None
    error: str | None = None
    retrains: bool = False  # the server is the NLU gateway, which retrains by itself

    def knows(self, version: str) -> bool:
        return self.knowledge == version


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _time(value: object) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def read_status(payload: dict[str, Any] | None) -> ModelStatus:
    """The model status from `/status` (a plain Rasa has no `serving`); odd values are ignored, never raised."""
    if payload is None:
        return ModelStatus(reachable=False)
    serving = payload.get("serving")
    if not isinstance(serving, dict):
        return ModelStatus(reachable=bool(payload.get("model_file")))
    model = _mapping(serving.get("model"))
    training = _mapping(serving.get("training"))
    return ModelStatus(
        reachable=bool(payload.get("model_file")),
        trained_at=_time(model.get("trained_at")),
        knowledge=_text(model.get("knowledge")),
        training=_text(training.get("state")),
        training_knowledge=_text(training.get("knowledge")),
        error=_text(training.get("error")),
        retrains=True,
    )


class Teaching:
    def __init__(self, knowledge_dir: Path, texts: Translator, nlu: StatusSource | None, current: QAProvider,
                 install: Callable[[QAService, str], None], version: Callable[[], str]) -> None:
        self._dir = knowledge_dir
        self._texts = texts
        self._nlu = nlu
        self._current = current
        self._install = install
        self._version = version
        self._lock = asyncio.Lock()
        self.waiting: dict[int, str] = {}  # admin id -> language, told when the model knows what they taught

    @property
    def retrains(self) -> bool:
        return self._nlu is not None

    async def reload(self) -> bool:
        """Load the knowledge folder again if it changed, and swap it in. False: unchanged, or it does not load
        (then the old knowledge base keeps answering and the reason is logged)."""
        async with self._lock:
            try:
                version = await asyncio.to_thread(content_hash, self._dir)
            except OSError as exc:
                log.warning("cannot read the knowledge base at %s: %s", self._dir, exc)
                return False
            if version == self._version():
                return False
            try:
                kb, matcher, detector = await asyncio.to_thread(self._load)
            except KnowledgeBaseError as exc:
                log.error("the edited knowledge base does not load; the previous one keeps answering: %s", exc)
                return False
            self._install(self._current().with_knowledge(kb, matcher, detector), version)
        log.info("knowledge base reloaded (%s): %d entries", version, len(kb.entries))
        return True

    def _load(self) -> tuple[KnowledgeBase, LexicalMatcher, LanguageDetector]:
        kb = load_knowledge_base(self._dir)
        matcher = LexicalMatcher(kb)
        matcher.rank("warm up")  # build its index here, in the worker thread, not on the first question
        return kb, matcher, LanguageDetector(kb)

    async def taught(self, admin_id: int, language: str) -> bool:
        """An admin added an example: reload now; they get a message once the NLU model has learnt it. True when the
        bot answers from the knowledge base as it is in the folder now (reloaded here, or already by the job)."""
        await self.reload()
        if self._nlu is not None:
            self.waiting[admin_id] = language
        try:
            return await asyncio.to_thread(content_hash, self._dir) == self._version()
        except OSError:
            return False

    async def model_status(self) -> ModelStatus:
        return read_status(await self._nlu.status()) if self._nlu is not None else ModelStatus(reachable=False)

    async def poll(self, send: Send) -> int:
        """Reload if the folder changed; tell waiting admins how the retraining went. Returns messages sent."""
        await self.reload()
        if not self.waiting:
            return 0
        status = await self.model_status()
        version = self._version()
        if not status.reachable:
            return 0
        if not status.retrains:
            key, values = "staff.teaching.no_retrain", {}
        elif status.knows(version):
            key, values = "staff.teaching.ready", {"at": _clock(status.trained_at)}
        elif status.training == "failed" and status.training_knowledge == version:
            key, values = "staff.teaching.failed", {"error": escape((status.error or "?")[-MAX_ERROR:])}
        else:
            return 0
        waiting, self.waiting = self.waiting, {}
        sent = 0
        for admin_id, language in waiting.items():
            sent += bool(await send(admin_id, self._texts(language, key, **values)))
        return sent


def _clock(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "?"
