"""The real processes behind the supervisor: Rasa servers (`rasa run`) and the training commands.

Both are behind small interfaces (`Launcher`, `Trainer`, `Upstream`) so the supervisor's logic is tested with
fakes (tests/unit/test_nlu_serving.py) and the real ones in the integration test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import tarfile
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from knowledge.version import content_hash

from . import httpio

log = logging.getLogger("nlu.serving")

RASA_ENV = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore"}
MODEL_NAME = "current.tar.gz"
INFO_NAME = "current.json"  # what the serving model was trained from: {"knowledge", "fingerprint", "trained_at"}


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    knowledge: str | None = None  # knowledge.version.content_hash of the knowledge base it was trained from
    fingerprint: str | None = None  # nlu.build fingerprint (what `make train` compares)
    trained_at: str | None = None  # ISO time, from the model's own metadata.json

    def as_json(self) -> dict[str, str | None]:
        return {"knowledge": self.knowledge, "fingerprint": self.fingerprint, "trained_at": self.trained_at}


def trained_at(model: Path) -> str | None:
    """The training time Rasa wrote into the model archive (metadata.json), else the file's time; UTC ISO."""
    try:
        with tarfile.open(model) as archive:
            member = archive.extractfile("metadata.json")
            value = json.load(member)["trained_at"] if member else None
        if value:  # Rasa writes local time without a zone
            return datetime.fromisoformat(value).astimezone(timezone.utc).isoformat(timespec="seconds")
    except (OSError, KeyError, ValueError, tarfile.TarError):
        pass
    try:
        return datetime.fromtimestamp(model.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
    except OSError:
        return None


def read_info(models_dir: Path, knowledge_dir: Path) -> ModelInfo:
    """The serving model. Without a record (a model from `make train` or the image build) it is assumed to match
    the knowledge base as it is: `make train` / the image retrain whenever that changed."""
    model = models_dir / MODEL_NAME
    try:
        record = json.loads((models_dir / INFO_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = None
    if not isinstance(record, dict):
        fingerprint_file = models_dir / "current.fingerprint"
        fingerprint = fingerprint_file.read_text().strip() if fingerprint_file.is_file() else None
        record = {"knowledge": content_hash(knowledge_dir), "fingerprint": fingerprint}
        write_info(models_dir, ModelInfo(model, record["knowledge"], fingerprint, trained_at(model)))
    return ModelInfo(model, record.get("knowledge"), record.get("fingerprint"), trained_at(model))


def write_info(models_dir: Path, info: ModelInfo) -> None:
    temp = models_dir / f".{INFO_NAME}.tmp"
    temp.write_text(json.dumps(info.as_json()), encoding="utf-8")
    os.replace(temp, models_dir / INFO_NAME)


class Upstream(Protocol):
    """One Rasa server the gateway may forward to."""

    port: int
    model: ModelInfo
    stopping: bool
    inflight: int

    async def wait(self) -> int: ...
    async def ready(self) -> bool: ...
    async def stop(self, grace: float = 20.0) -> None: ...
    def log_tail(self, lines: int = 15) -> str: ...


class Launcher(Protocol):
    async def start(self, model: ModelInfo, port: int) -> Upstream: ...


@dataclass(frozen=True)
class TrainResult:
    ok: bool
    knowledge: str
    model: ModelInfo | None = None
    log_tail: str = ""


class Trainer(Protocol):
    async def train(self) -> TrainResult: ...


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the gateway dies, even by SIGKILL (Linux), so no Rasa is orphaned."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worth_showing(lines: Iterable[str]) -> Iterator[str]:
    """Log lines without training progress bars and without library deprecation warnings (+ their source line)."""
    after_warning = False
    for line in lines:
        line = line.rstrip("\n")
        if "Epochs:" in line or "Warning: " in line:
            after_warning = "Warning: " in line
            continue
        if after_warning and line.startswith("  "):
            after_warning = False
            continue
        after_warning = False
        yield line


def tail(path: Path, lines: int = 15) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            kept = deque(_worth_showing(handle), maxlen=lines)
    except OSError:
        return ""
    return "\n".join(kept)


class RasaProcess:
    def __init__(self, process: asyncio.subprocess.Process, port: int, model: ModelInfo, token: str,
                 log_file: Path) -> None:
        self.process = process
        self.port = port
        self.model = model
        self.stopping = False
        self.inflight = 0
        self._token = token
        self._log_file = log_file

    async def wait(self) -> int:
        return await self.process.wait()

    async def ready(self) -> bool:
        if self.process.returncode is not None:
            return False
        try:
            response = await httpio.request("127.0.0.1", self.port, "GET", f"/status?token={self._token}", timeout=3)
            return response.status == 200 and bool(response.json().get("model_file"))
        except (OSError, asyncio.TimeoutError, ValueError):
            return False

    async def stop(self, grace: float = 20.0) -> None:
        self.stopping = True
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()

    def log_tail(self, lines: int = 15) -> str:
        return tail(self._log_file, lines)


class RasaLauncher:
    """`rasa run --enable-api` on 127.0.0.1 only, with a token only the gateway knows."""

    def __init__(self, rasa: list[str], token: str, run_dir: Path, cwd: Path) -> None:
        self._rasa = rasa
        self._token = token
        self._run_dir = run_dir
        self._cwd = cwd

    async def start(self, model: ModelInfo, port: int) -> RasaProcess:
        log_file = self._run_dir / f"rasa-{port}.log"
        env = {**os.environ, **RASA_ENV, "PYTHONPATH": str(self._cwd), "MPLCONFIGDIR": str(self._run_dir / "mpl")}
        env.pop("NLU_TOKEN", None)
        with log_file.open("wb") as output:  # one server's lifetime: bounded (a crash's tail is logged before restart)
            process = await asyncio.create_subprocess_exec(
                *self._rasa, "run", "--enable-api", "--model", str(model.path), "-i", "127.0.0.1", "-p", str(port),
                "--auth-token", self._token, stdin=asyncio.subprocess.DEVNULL, stdout=output,
                stderr=asyncio.subprocess.STDOUT, cwd=self._cwd, env=env, start_new_session=True,
                preexec_fn=_die_with_parent)
        log.info("started Rasa (pid %s) on 127.0.0.1:%s with %s", process.pid, port, model.path)
        return RasaProcess(process, port, model, self._token, log_file)


class CommandTrainer:
    """Trains a candidate model from a snapshot of the knowledge base, in `<models>/candidate/`:
    `nlu.build` (the bot's Python: it reads the knowledge base with pydantic 2) then `rasa train nlu`."""

    def __init__(self, rasa: list[str], build_python: str, knowledge_dir: Path, models_dir: Path, config: Path,
                 run_dir: Path, cwd: Path) -> None:
        self._rasa = rasa
        self._build_python = build_python
        self._knowledge_dir = knowledge_dir
        self._work = models_dir / "candidate"
        self._config = config
        self._log = run_dir / "train-background.log"
        self._cwd = cwd

    async def _run(self, *command: str, capture: bool = False) -> tuple[int, str]:
        """Run one step, its output appended to the training log as it comes (stdout returned with `capture`)."""
        env = {**os.environ, **RASA_ENV, "PYTHONPATH": str(self._cwd), "MPLCONFIGDIR": str(self._log.parent / "mpl")}
        with self._log.open("ab") as output:
            output.write(f"$ {' '.join(command)}\n".encode())
            output.flush()
            process = await asyncio.create_subprocess_exec(
                *command, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE if capture else output, stderr=output, cwd=self._cwd, env=env)
            stdout, _ = await process.communicate()
        return process.returncode or 0, (stdout or b"").decode("utf-8", "replace").strip()

    async def train(self) -> TrainResult:
        shutil.rmtree(self._work, ignore_errors=True)
        snapshot = self._work / "knowledge"
        shutil.copytree(self._knowledge_dir, snapshot, ignore=shutil.ignore_patterns(".*"))
        knowledge = content_hash(snapshot)
        self._log.write_text(f"training for knowledge {knowledge}\n", encoding="utf-8")
        steps = [
            (self._build_python, "-m", "nlu.build", "--kb", str(snapshot), "--out", str(self._work)),
            (*self._rasa, "train", "nlu", "--config", str(self._config), "--nlu", str(self._work / "data"),
             "--domain", str(self._work / "domain.yml"), "--out", str(self._work / "models"),
             "--fixed-model-name", "current"),
        ]
        for command in steps:
            code, _ = await self._run(*command)
            if code != 0:
                return TrainResult(False, knowledge, log_tail=tail(self._log) or f"exit code {code}")
        code, fingerprint = await self._run(self._build_python, "-m", "nlu.build", "--kb", str(snapshot),
                                            "--fingerprint", capture=True)
        model = self._work / "models" / MODEL_NAME
        if not model.is_file():
            return TrainResult(False, knowledge, log_tail=tail(self._log) or "no model written")
        return TrainResult(True, knowledge, ModelInfo(model, knowledge, fingerprint if code == 0 else None,
                                                      trained_at(model)))


def default_rasa() -> list[str]:
    """`rasa` next to this Python (the NLU venv), else on PATH."""
    beside = Path(sys.executable).with_name("rasa")
    return [str(beside)] if beside.exists() else ["rasa"]
