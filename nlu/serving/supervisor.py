"""Keeps one Rasa server answering, restarts it when it dies, retrains when the knowledge base changes and swaps
the new model in without downtime.

- **Restart with back-off**: when the serving Rasa exits without being asked to, it is started again on the same
  model after 1, 2, 4 … up to 60 s (back to 1 s once a server ran for 5 minutes); each restart is logged with
  the exit code and the end of its log.
- **Retrain**: the knowledge folder is hashed every few seconds (`knowledge.version.content_hash`); a change is
  trained after `debounce` quiet seconds, one training at a time (`schedule.TrainingSchedule`).
- **Swap**: a second Rasa starts on the new model on the other internal port; once its `/status` reports the
  model, the gateway's upstream is switched (one assignment), requests already sent to the old server finish,
  then the old server stops. The new model then becomes `<models>/current.tar.gz` (+ `current.json`,
  `current.fingerprint`), so a restart serves it. If training or the new server fails, the old one keeps
  serving and `/status` says why (`serving.training.error`: the end of the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from knowledge.version import content_hash

from .processes import MODEL_NAME, Launcher, ModelInfo, Trainer, Upstream, write_info
from .schedule import TrainingSchedule

log = logging.getLogger("nlu.serving")

Sleep = Callable[[float], Awaitable[None]]


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Supervisor:
    def __init__(self, launcher: Launcher, trainer: Trainer, models_dir: Path, knowledge_dir: Path,
                 ports: tuple[int, int], debounce: float = 30.0, poll: float = 2.0, ready_timeout: float = 300.0,
                 backoff: tuple[float, float] = (1.0, 60.0), stable_after: float = 300.0, drain: float = 10.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep,
                 hash_knowledge: Callable[[Path], str] = content_hash) -> None:
        self._launcher = launcher
        self._trainer = trainer
        self._models_dir = models_dir
        self._knowledge_dir = knowledge_dir
        self._ports = ports
        self._poll = poll
        self._ready_timeout = ready_timeout
        self._backoff = backoff
        self._stable_after = stable_after
        self._drain = drain
        self._clock = clock
        self._sleep = sleep
        self._hash = hash_knowledge
        self.schedule = TrainingSchedule(debounce)
        self.current: Upstream | None = None
        self.restarts = 0
        self.training: dict[str, Any] = {"state": "idle"}
        self._switch = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._servers: list[Upstream] = []  # every server started, so that close() stops each one still running
        self._closing = False

    async def _launch(self, model: ModelInfo, port: int) -> Upstream:
        server = await self._launcher.start(model, port)
        self._servers = [*self._servers[-20:], server]  # older ones are long gone; stop() on them is a no-op
        return server

    # ---- status -------------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """What `/status` adds under "serving": the model (trained at, knowledge hash) and the last training."""
        model = self.current.model if self.current is not None else None
        training = dict(self.training)
        if self.schedule.pending and training.get("state") in ("idle", "ok"):
            training["state"] = "waiting"
        return {"model": model.as_json() if model else None, "training": training, "restarts": self.restarts,
                "up": self.current is not None}

    # ---- serving and restarts ---------------------------------------------------------------------------------
    async def start(self, model: ModelInfo) -> None:
        self.schedule.served = model.knowledge
        self.schedule.observe(self._hash(self._knowledge_dir), self._clock())
        self.current = await self._launch(model, self._ports[0])
        self._spawn(self._watch(self.current, self._clock(), self._backoff[0]))

    def _spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _watch(self, upstream: Upstream, started: float, delay: float) -> None:
        code = await upstream.wait()
        if upstream.stopping or self._closing or upstream is not self.current:
            return
        ran = self._clock() - started
        delay = self._backoff[0] if ran >= self._stable_after else delay
        self.restarts += 1
        log.warning("Rasa on port %s exited with code %s after %.0f s; restart #%d in %.0f s. Its log ends:\n%s",
                    upstream.port, code, ran, self.restarts, delay, upstream.log_tail())
        while True:
            await self._sleep(delay)
            delay = min(delay * 2, self._backoff[1])
            async with self._switch:
                if self._closing or upstream is not self.current:
                    return
                try:
                    replacement = await self._launch(upstream.model, upstream.port)
                except OSError as exc:  # e.g. the rasa executable is gone: keep trying, with back-off
                    log.error("could not start Rasa (%s); next try in %.0f s", exc, delay)
                    continue
                self.current = replacement
            break
        self._spawn(self._watch(replacement, self._clock(), delay))

    # ---- retraining -----------------------------------------------------------------------------------------
    async def tick(self) -> bool:
        """One poll: look at the knowledge base, train and swap when due. True when a training ran."""
        try:
            self.schedule.observe(self._hash(self._knowledge_dir), self._clock())
        except OSError as exc:
            log.warning("cannot read the knowledge base at %s: %s", self._knowledge_dir, exc)
            return False
        if self.schedule.due(self._clock()) is None:
            return False
        await self.retrain()
        return True

    async def run(self) -> None:
        while not self._closing:
            try:
                await self.tick()
            except Exception:  # never let one bad poll end the watching
                log.exception("error while watching the knowledge base")
            await self._sleep(self._poll)

    async def retrain(self) -> None:
        wanted = self.schedule.wanted or ""
        self.schedule.started(wanted)
        self.training = {"state": "running", "knowledge": wanted, "started_at": _now_iso()}
        log.info("knowledge base changed (%s): training a new NLU model in the background", wanted)
        started = self._clock()
        try:
            result = await self._trainer.train()
        except Exception as exc:  # a broken trainer must not stop the serving loop
            log.exception("training crashed")
            self._failed(wanted, f"{type(exc).__name__}: {exc}")
            return
        if not result.ok or result.model is None:
            self._failed(result.knowledge, result.log_tail)
            return
        try:
            error = await self.swap(result.model)
        except OSError as exc:  # the new server could not even be started
            error = f"could not start a Rasa server on the new model: {exc}"
        if error is not None:
            self._failed(result.knowledge, error)
            return
        self.schedule.finished(result.knowledge, ok=True)
        self.training = {"state": "ok", "knowledge": result.knowledge, "finished_at": _now_iso(),
                         "seconds": round(self._clock() - started, 1)}
        log.info("new NLU model serving (knowledge %s, %.0f s after the change was picked up)", result.knowledge,
                 self._clock() - started)

    def _failed(self, knowledge: str, why: str) -> None:
        self.schedule.finished(knowledge, ok=False)  # a newer change meanwhile is trained at the next tick
        self.training = {"state": "failed", "knowledge": knowledge, "finished_at": _now_iso(),
                         "error": why[-1500:]}
        log.error("NLU training for knowledge %s failed; the previous model keeps serving. Log ends:\n%s",
                  knowledge, why)

    async def swap(self, model: ModelInfo) -> str | None:
        """Serve `model` without downtime. None on success, else why not (the old server keeps serving)."""
        async with self._switch:
            old = self.current
            port = self._ports[1] if old is not None and old.port == self._ports[0] else self._ports[0]
            candidate = await self._launch(model, port)
            error = await self._until_ready(candidate)
            if error is not None:
                await candidate.stop()
                return error
            installed = self._install(model)
            candidate.model = installed
            self.current = candidate  # the gateway reads this: from now on requests go to the new server
        self._spawn(self._watch(candidate, self._clock(), self._backoff[0]))
        if old is not None:
            old.stopping = True
            waited = 0.0
            while old.inflight > 0 and waited < self._drain:
                await self._sleep(0.1)
                waited += 0.1
            await old.stop()
        return None

    async def _until_ready(self, candidate: Upstream) -> str | None:
        waiting = asyncio.ensure_future(candidate.wait())
        try:
            started = self._clock()
            while self._clock() - started < self._ready_timeout:
                if waiting.done():
                    return f"the new Rasa server exited with code {waiting.result()}:\n{candidate.log_tail()}"
                if await candidate.ready():
                    return None
                await self._sleep(1.0)
            return f"the new Rasa server was not ready after {self._ready_timeout:.0f} s:\n{candidate.log_tail()}"
        finally:
            waiting.cancel()

    def _install(self, model: ModelInfo) -> ModelInfo:
        """The new model becomes current.tar.gz (+ its record), so that a restart serves it."""
        target = self._models_dir / MODEL_NAME
        if model.path != target:
            os.replace(model.path, target)
        installed = ModelInfo(target, model.knowledge, model.fingerprint, model.trained_at)
        write_info(self._models_dir, installed)
        fingerprint_file = self._models_dir / "current.fingerprint"
        if model.fingerprint:
            fingerprint_file.write_text(model.fingerprint + "\n", encoding="utf-8")
        else:
            fingerprint_file.unlink(missing_ok=True)
        return installed

    async def close(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await asyncio.gather(*(server.stop() for server in self._servers), return_exceptions=True)
