"""The offline Bot API (`bot.offline.OfflineBotApi`) enforcing Telegram's flood limits, for benchmarks and tests.

- more than `rate` calls aimed at chats in any sliding second → 429 with `retry_after`;
- more than one message *sent* to the same chat in any sliding second → 429 (edits don't count per chat);
- chats in `blocked` → 403 "Forbidden: bot was blocked by the user".
Each call can take `latency` seconds (plus up to `jitter`), as a network round trip would: half before the
limits are checked and the message accepted, half after (the answer's way back). With `log_path`, every
accepted message and every refusal is appended to that file at once (one `os.write` per line), so a benchmark can
count what "Telegram" accepted even from a process that was killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import time
from collections import deque
from typing import Any

from telegram.request import RequestData

from bot.offline import OfflineBotApi

WINDOW = 1.0


class LimitedBotApi(OfflineBotApi):
    def __init__(self, rate: int = 30, latency: float = 0.0, jitter: float = 0.0, blocked: set[int] | None = None,
                 log_path: str | None = None, per_chat: bool = True) -> None:
        super().__init__()
        self.rate = rate
        self.latency = latency
        self.jitter = jitter
        self.blocked = blocked or set()
        self.refused_429 = 0
        self.accepted: deque[float] = deque()
        self.per_chat: dict[int, float] = {}
        self._log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if log_path else None
        self.keep_calls = True
        self.check_per_chat = per_chat

    def _write(self, *fields: object) -> None:
        if self._log is not None:
            os.write(self._log, (" ".join(str(field) for field in fields) + "\n").encode())

    def _refuse(self, code: int, description: str, retry_after: int | None = None) -> tuple[int, bytes]:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return code, json.dumps(body).encode()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        # half of the round trip on the way to "Telegram", half on the way back (after it accepted the message)
        way = (self.latency + random.random() * self.jitter) / 2
        if way:
            await asyncio.sleep(way)
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        chat = params.get("chat_id")
        if chat is not None:
            chat = int(chat)
            now = time.time()
            while self.accepted and self.accepted[0] <= now - WINDOW:
                self.accepted.popleft()
            if len(self.accepted) >= self.rate:
                self.refused_429 += 1
                wait = max(1, math.ceil(self.accepted[0] + WINDOW - now))
                self._write(f"{now:.6f}", "429", api_method, chat)
                return self._refuse(429, f"Too Many Requests: retry after {wait}", wait)
            sending = api_method.startswith("send")
            if sending and self.check_per_chat and now - self.per_chat.get(chat, -math.inf) < WINDOW:
                self.refused_429 += 1
                self._write(f"{now:.6f}", "429", api_method, chat)
                return self._refuse(429, "Too Many Requests: retry after 1", 1)
            if sending and chat in self.blocked:
                self._write(f"{now:.6f}", "403", api_method, chat)
                return self._refuse(403, "Forbidden: bot was blocked by the user")
            self.accepted.append(now)
            if sending:
                self.per_chat[chat] = now
            self._write(f"{now:.6f}", "200", api_method, chat)
        status, body = await super().do_request(url, method, request_data, *args, **kwargs)
        if way:
            await asyncio.sleep(way)
        if not self.keep_calls:
            self.calls.clear()
        return status, body
