"""Helpers for tests that start real local processes (Rasa, the NLU gateway, the bot): a free port, the trained
model they need, and the NLU server started and stopped around them."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
MODEL = PROJECT / "nlu" / "models" / "current.tar.gz"
SERVER = PROJECT / "scripts" / "nlu-server.sh"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def require_trained_rasa() -> None:
    """Skip without a trained model and the Rasa venv — or fail, when REQUIRE_RASA says they must be there (CI)."""
    if not MODEL.exists() or not (PROJECT / ".venv-nlu" / "bin" / "rasa").exists():
        if os.environ.get("REQUIRE_RASA"):
            pytest.fail("REQUIRE_RASA is set but there is no trained model / Rasa venv: run `make train`")
        pytest.skip("no trained Rasa model (run `make train`)")


@contextmanager
def nlu_server(env: dict[str, str]) -> Iterator[None]:
    """`scripts/nlu-server.sh` started with `env` (NLU_URL, NLU_RUN_DIR, …), ready, and stopped afterwards."""
    subprocess.run([str(SERVER), "start"], env=env, check=True, cwd=PROJECT)
    try:
        subprocess.run([str(SERVER), "wait"], env=env, check=True, cwd=PROJECT)
        yield
    finally:
        subprocess.run([str(SERVER), "stop"], env=env, check=False, cwd=PROJECT)
