"""The real bot process: SIGKILL right after intake loses nothing, and the update Telegram then delivers again is
answered once (polling); webhook mode end to end.

The real `python -m bot` process polls a local fake Bot API. The fake NLU server holds the first process's
parse request, so the process is killed while the question is stored but not yet processed (no effect
committed). The restarted process processes the stored update first, and ignores its redelivery.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from tests.local import free_port

PROJECT = Path(__file__).resolve().parents[2]
QUESTION = {
    "update_id": 77,
    "message": {"message_id": 5, "date": int(time.time()), "chat": {"id": 4242, "type": "private"},
                "from": {"id": 4242, "is_bot": False, "first_name": "Anna", "language_code": "lv"},
                "text": "kads bija programmas budzets?"},
}


class Fake(BaseHTTPRequestHandler):
    """Bot API (POST /bot<token>/<method>) and Rasa (POST /model/parse) in one server."""

    calls: list[tuple[str, dict]] = []
    deliver: list[dict] = []
    nlu_requests = 0
    nlu_hangs = True
    offsets: list[int] = []

    def log_message(self, *args) -> None:
        return

    def _reply(self, payload: dict, status: int = 200) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path.startswith("/model/parse"):
            Fake.nlu_requests += 1
            if Fake.nlu_hangs:
                time.sleep(5)  # longer than the bot's NLU timeout: the process is killed meanwhile
            self._reply({"error": "no model"}, status=500)
            return
        method = self.path.rsplit("/", 1)[-1]
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(body or "{}")
        else:
            params = {k: v[0] for k, v in parse_qs(body).items()}
        Fake.calls.append((method, params))
        result: object = True
        if method == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "Assistant", "username": "assistant_bot"}
        elif method == "getUpdates":  # like Telegram: an update is kept until a call with a higher offset
            offset = int(params.get("offset") or 0)
            Fake.offsets.append(offset)
            Fake.deliver = [update for update in Fake.deliver if update["update_id"] >= offset]
            result = list(Fake.deliver)
            if not result:
                time.sleep(0.1)
        elif method == "sendMessage":
            result = {"message_id": 99, "date": int(time.time()), "chat": {"id": int(params["chat_id"]),
                      "type": "private"}, "text": params.get("text", "")}
        self._reply({"ok": True, "result": result})


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # the killed process's broken connection
        return


def start_bot(tmp_path: Path, port: int, **extra: str) -> subprocess.Popen:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "123456:TEST-token", "RESPONDENT_KEY_SECRET": "crash-test-respondent-secret",
           "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}/bot", "NLU_URL": f"http://127.0.0.1:{port}",
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", "ADMIN_IDS": "", "REPLICA_ID": "replica-a",
           "PYTHONPATH": str(PROJECT), **extra}  # PYTHONPATH: this checkout, whatever the venv was installed from
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for(condition, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def answers() -> list[str]:
    return [params["text"] for method, params in Fake.calls if method == "sendMessage"]


def test_sigkill_after_intake_loses_nothing_and_the_redelivery_is_answered_once(tmp_path):
    Fake.calls, Fake.deliver, Fake.nlu_requests, Fake.nlu_hangs, Fake.offsets = [], [QUESTION], 0, True, []
    server = QuietServer(("127.0.0.1", 0), Fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        first = start_bot(tmp_path, server.server_port)
        try:
            # stored, confirmed to "Telegram" (offset 78), and now being classified: no effect committed yet
            wait_for(lambda: Fake.nlu_requests > 0 and 78 in Fake.offsets, first)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        assert answers() == []
        with sqlite3.connect(tmp_path / "bot.db") as db:
            assert db.execute("SELECT update_id, processed_at FROM update_inbox").fetchall() == [(77, None)]
            assert db.execute("SELECT count(*) FROM questions").fetchone() == (0,)

        assert Fake.deliver == []  # Telegram forgot it: only the inbox has it now
        Fake.nlu_hangs = False
        second = start_bot(tmp_path, server.server_port)
        try:
            wait_for(lambda: len(answers()) >= 1, second)  # the stored update, processed after the restart
            Fake.deliver, calls = [QUESTION], len(Fake.offsets)  # ...and then Telegram delivers it once more
            wait_for(lambda: 78 in Fake.offsets[calls:], second)  # fetched, stored (ignored) and confirmed
            wait_for(lambda: len(Fake.offsets) > calls + 2, second)
        finally:
            second.send_signal(signal.SIGTERM)
            output, _ = second.communicate(timeout=30)
        assert second.returncode == 0, output
    finally:
        server.shutdown()
    assert len(answers()) == 1
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("SELECT count(*) FROM questions").fetchone() == (1,)
        assert db.execute("SELECT processed_at IS NOT NULL FROM update_inbox").fetchall() == [(1,)]


def test_webhook_process_serves_updates_once_and_stops_cleanly(tmp_path):
    """The real `python -m bot` in webhook mode (WEBHOOK_URL): setWebhook with the secret, an update POSTed twice
    is answered once, /readyz answers, SIGTERM stops it cleanly."""
    import urllib.error
    import urllib.request

    Fake.calls, Fake.deliver, Fake.nlu_requests, Fake.nlu_hangs, Fake.offsets = [], [], 0, False, []
    server = QuietServer(("127.0.0.1", 0), Fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = free_port()
    env = {"WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET": "s3cret",
           "WEBHOOK_LISTEN_HOST": "127.0.0.1", "WEBHOOK_LISTEN_PORT": str(port)}
    process = start_bot(tmp_path, server.server_port, **env)

    def post(secret: str) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/hook", data=json.dumps(QUESTION).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "X-Telegram-Bot-Api-Secret-Token": secret})
        try:
            return urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as exc:
            return exc.code

    def ready() -> bool:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).status == 200
        except OSError:
            return False

    try:
        wait_for(ready, process)
        [(_, webhook)] = [call for call in Fake.calls if call[0] == "setWebhook"]
        assert webhook["url"] == "https://bot.example.org/hook" and webhook["secret_token"] == "s3cret"
        assert post("wrong") == 403
        assert post("s3cret") == 200
        wait_for(lambda: len(answers()) == 1, process)
        assert post("s3cret") == 200  # delivered again: accepted, not answered again
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        server.shutdown()
    assert process.returncode == 0, output
    assert len(answers()) == 1
