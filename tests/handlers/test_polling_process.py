"""The real `python -m bot` process in long-polling mode against a local fake Bot API server.

Telegram is not reachable here, but PTB talks to any Bot API server (`TELEGRAM_API_BASE_URL`). This checks the
production start-up path end to end: settings from the environment, migrations, getMe, polling, an answer
sent for a question, and a clean stop on SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from bot.config import PROJECT_DIR
from knowledge.loader import load_knowledge_base
from tests.conftest import kb_answer

PROJECT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-token"


class FakeBotApi(BaseHTTPRequestHandler):
    updates: list[dict] = []
    calls: list[tuple[str, dict]] = []

    def log_message(self, *args) -> None:  # keep test output clean
        return

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        method = self.path.rsplit("/", 1)[-1]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(body or "{}")
        else:
            params = {k: v[0] for k, v in parse_qs(body).items()}
        FakeBotApi.calls.append((method, params))
        result: object = True
        if method == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "Assistant", "username": "assistant_bot"}
        elif method == "getUpdates":
            result, FakeBotApi.updates = FakeBotApi.updates, []
            if not result:
                time.sleep(0.2)
        elif method == "sendMessage":
            result = {"message_id": 99, "date": int(time.time()), "chat": {"id": int(params["chat_id"]), "type": "private"},
                      "text": params.get("text", "")}
        payload = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def test_bot_process_polls_a_bot_api_server_answers_and_stops_cleanly(tmp_path):
    question = {
        "update_id": 1,
        "message": {"message_id": 5, "date": int(time.time()), "chat": {"id": 4242, "type": "private"},
                    "from": {"id": 4242, "is_bot": False, "first_name": "Anna", "language_code": "lv"},
                    "text": "kads bija programmas budzets?"},
    }
    FakeBotApi.updates = [question]
    FakeBotApi.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBotApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "RESPONDENT_KEY_SECRET": "polling-test-respondent-key-secret",  # required with a token
        "PYTHONPATH": str(PROJECT_DIR),  # this checkout's code, whatever the venv has installed
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{server.server_port}/bot",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "NLU_URL": "http://127.0.0.1:9",  # Rasa down: the bot must answer anyway
        "ADMIN_IDS": "",
    }
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(m == "sendMessage" for m, _ in FakeBotApi.calls):
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.2)
        answers = [params["text"] for method, params in FakeBotApi.calls if method == "sendMessage"]
        assert answers and kb_answer(load_knowledge_base(), "fact_budget", "lv") in answers[0]
        assert any(method == "setMyCommands" for method, _ in FakeBotApi.calls)
        polls = [params for method, params in FakeBotApi.calls if method == "getUpdates"]
        asked = polls[0]["allowed_updates"]  # only the update types the handlers use (issue 9, item 7)
        assert (json.loads(asked) if isinstance(asked, str) else asked) == ["message", "callback_query"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        finally:
            server.shutdown()
    assert process.returncode == 0, output
    assert "degraded mode" in output  # the NLU outage was logged
