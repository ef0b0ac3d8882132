"""scripts/run.sh and scripts/nlu-server.sh (issue 9, "Running it"): .env is data, the token file is private, and a
pid file is never trusted on its own. The NLU server is replaced by a stub process here (NLU_PYTHON); the real
gateway and Rasa run in tests/integration."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.local import free_port

PROJECT = Path(__file__).resolve().parents[2]
SERVER = PROJECT / "scripts" / "nlu-server.sh"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the scripts beside the real code and venv (run.sh works from its own checkout's root)."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    for name in ("run.sh", "nlu-server.sh", "settings.py", "__init__.py"):
        shutil.copy2(PROJECT / "scripts" / name, root / "scripts" / name)
    for name in ("bot", "knowledge", ".venv"):
        (root / name).symlink_to(PROJECT / name)
    return root


def test_run_sh_reads_env_as_data_not_as_shell_code(checkout: Path) -> None:
    marker = checkout / "pwned"
    (checkout / ".env").write_text(
        "ADMIN_IDS=1 2\n"
        f"NLU_TOKEN=pa$$word$HOME`touch {marker}`$(touch {marker})\n"
        'NLU_URL="http://127.0.0.1:5999"\n'
        "NLU_TRAIN_DEBOUNCE=45\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NLU_", "ADMIN_", "KNOWLEDGE_"))}
    result = subprocess.run([str(checkout / "scripts" / "run.sh"), "--settings-only"], cwd=checkout, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    values = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert values["NLU_TOKEN"] == f"pa$$word$HOME`touch {marker}`$(touch {marker})"
    assert values["NLU_URL"] == "http://127.0.0.1:5999" and values["NLU_TRAIN_DEBOUNCE"] == "45.0"
    assert not marker.exists()
    assert "command not found" not in result.stderr  # `ADMIN_IDS=1 2` did not run a command `2`


def test_run_sh_stops_with_the_bots_message_on_a_bad_setting(checkout: Path) -> None:
    (checkout / ".env").write_text("ADMIN_IDS=alice\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NLU_", "ADMIN_"))}
    result = subprocess.run([str(checkout / "scripts" / "run.sh"), "--settings-only"], cwd=checkout, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "ADMIN_IDS must be comma-separated" in result.stderr


def test_the_generated_token_file_is_private(tmp_path: Path) -> None:
    env = {**os.environ, "NLU_RUN_DIR": str(tmp_path)}
    env.pop("NLU_TOKEN", None)
    token = subprocess.run([str(SERVER), "token"], env=env, capture_output=True, text=True, check=True).stdout.strip()
    path = tmp_path / "nlu_token"
    assert len(token) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)  # left readable by an older version
    again = subprocess.run([str(SERVER), "token"], env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert again == token and stat.S_IMODE(path.stat().st_mode) == 0o600


STUB = """#!/usr/bin/env bash
# Stands in for `python -m nlu.serving`: holds the port given by --port until SIGTERM.
exec python3 -c '
import signal, socket, sys, time
port = int(sys.argv[sys.argv.index("--port") + 1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", port)); s.listen()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True: time.sleep(1)
' "$@"
"""


@pytest.fixture
def server_env(tmp_path: Path):
    stub = tmp_path / "fake-python"
    stub.write_text(STUB)
    stub.chmod(0o755)
    models = tmp_path / "models"
    models.mkdir()
    (models / "current.tar.gz").write_text("model")
    env = {**os.environ, "NLU_RUN_DIR": str(tmp_path / "run"), "NLU_PYTHON": str(stub), "NLU_MODELS_DIR": str(models),
           "NLU_URL": f"http://127.0.0.1:{free_port()}", "NLU_TOKEN": "t", "NLU_STOP_TIMEOUT": "5"}
    yield env
    subprocess.run([str(SERVER), "stop"], env=env, capture_output=True, timeout=30)


def server(env: dict, command: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SERVER), command], env=env, capture_output=True, text=True, timeout=60)


def _wait_listening(env: dict) -> None:
    port = int(env["NLU_URL"].rsplit(":", 1)[1])
    for _ in range(200):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        subprocess.run(["sleep", "0.05"])
    raise AssertionError("stub never listened")


def test_a_stale_pid_file_is_not_taken_for_a_running_server(server_env: dict) -> None:
    unrelated = subprocess.Popen(["sleep", "60"])  # alive, but not our server (a reused pid)
    try:
        run_dir = Path(server_env["NLU_RUN_DIR"])
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "nlu.pid").write_text(str(unrelated.pid))
        started = server(server_env, "start")
        assert started.returncode == 0 and "already running" not in started.stdout, started.stdout + started.stderr
        assert (run_dir / "nlu.pid").read_text().strip() != str(unrelated.pid)
        _wait_listening(server_env)
        again = server(server_env, "start")
        assert "already running" in again.stdout
        assert server(server_env, "stop").returncode == 0
        assert server(server_env, "status").returncode == 1
    finally:
        unrelated.kill()
        unrelated.wait()


def test_start_waits_for_a_server_that_is_still_stopping(server_env: dict) -> None:
    assert server(server_env, "start").returncode == 0
    _wait_listening(server_env)
    run_dir = Path(server_env["NLU_RUN_DIR"])
    old = int((run_dir / "nlu.pid").read_text())
    (run_dir / "nlu.stopping").touch()  # `stop` has begun (as when `make run` was just ended)…
    stopper = subprocess.Popen(["bash", "-c", f"sleep 1; kill -TERM {old}"])  # …and the old one exits a moment later
    started = server(server_env, "start")
    stopper.wait()
    assert started.returncode == 0, started.stderr
    assert "waiting for the previous NLU server to stop" in started.stdout and "already running" not in started.stdout
    new = int((run_dir / "nlu.pid").read_text())
    assert new != old
    assert not _alive(old) and _alive(new)


def _alive(pid: int) -> bool:
    """Running (a zombie left for a non-reaping init does not count)."""
    try:
        return bool(Path(f"/proc/{pid}/cmdline").read_bytes())
    except OSError:
        return False


def test_start_refuses_a_port_held_by_another_program(server_env: dict) -> None:
    port = int(server_env["NLU_URL"].rsplit(":", 1)[1])
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        env = {**server_env, "NLU_STOP_TIMEOUT": "1"}
        started = server(env, "start")
    assert started.returncode == 1 and "still in use" in started.stderr


if sys.platform != "linux":  # /proc and setsid
    pytestmark = pytest.mark.skip("Linux only")
