"""Helpers for tests that start real local processes (Rasa, the NLU gateway, the bot): a free port, and the
trained model they need."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
MODEL = PROJECT / "nlu" / "models" / "current.tar.gz"


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
