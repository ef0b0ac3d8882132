"""A small Bot API HTTP stand-in for load benchmarks (`make bench-load`): enough of Telegram for the bot and
for a thin PTB bot — getMe, getUpdates (long polling with offsets), setWebhook/deleteWebhook (then updates are
POSTed to the bot with the secret header), sendMessage, editMessageText, editMessageReplyMarkup,
answerCallbackQuery, setMyCommands, getMyCommands, sendChatAction.

`limits=True` enforces Telegram's limits: a send above 30 messages/s overall or 1 message/s per chat gets
429 Too Many Requests with `retry_after`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT = {"id": 100000001, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
SENDS = {"sendMessage", "editMessageText", "sendPhoto", "sendDocument"}


class StandIn:
    def __init__(self, limits: bool = False, first_update_id: int = 1) -> None:
        """`first_update_id`: stand-ins of bots that share one database must not reuse update ids (the inbox would
        take another bot's update for a redelivery)."""
        self.limits = limits
        self.updates: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)
        self.webhook: dict[str, str] | None = None
        self.webhook_targets: list[str] = []  # the replicas (the bench plays the reverse proxy)
        self._round_robin = itertools.count()
        self.calls: collections.Counter[str] = collections.Counter()
        self.too_many = 0
        self._sent_at: collections.deque[float] = collections.deque()
        self._chat_sent: dict[int, float] = {}
        self._waiting: dict[int, asyncio.Future[float]] = {}
        self._client = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200))
        self.app = Starlette(routes=[Route("/bot{token}/{method}", self._handle, methods=["POST", "GET"])])

    # --- the bench's side ------------------------------------------------------------------------------------
    def expect_reply(self, chat_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        return future

    async def deliver(self, chat_id: int, text: str) -> None:
        update = {"update_id": next(self._update_ids), "message": {
            "message_id": next(self._message_ids), "date": int(time.time()), "text": text,
            "chat": {"id": chat_id, "type": "private", "first_name": "A"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": "lv"}}}
        if self.webhook is not None and self.webhook_targets:
            target = self.webhook_targets[next(self._round_robin) % len(self.webhook_targets)]
            for _ in range(20):
                response = await self._client.post(target, json=update, headers={
                    "X-Telegram-Bot-Api-Secret-Token": self.webhook.get("secret_token", "")})
                if response.status_code == 200:
                    return
                await asyncio.sleep(0.2)
            raise RuntimeError(f"webhook {target} refused update: {response.status_code}")
        async with self._arrived:
            self.updates.append(update)
            self._arrived.notify_all()

    async def aclose(self) -> None:
        await self._client.aclose()

    # --- the Bot API side ------------------------------------------------------------------------------------
    async def _params(self, request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.body()
            return json.loads(body) if body else {}
        body = (await request.body()).decode()  # PTB posts url-encoded forms (multipart only with files)
        return {key: values[0] for key, values in parse_qs(body).items()}

    async def _handle(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await self._params(request)
        self.calls[method] += 1
        if method in SENDS and self.limits:
            retry = self._over_limit(int(params.get("chat_id", 0)))
            if retry:
                self.too_many += 1
                return JSONResponse({"ok": False, "error_code": 429, "description": "Too Many Requests: retry later",
                                     "parameters": {"retry_after": retry}}, status_code=429)
        result = await self._result(method, params)
        return JSONResponse({"ok": True, "result": result})

    def _over_limit(self, chat_id: int) -> int:
        now = time.monotonic()
        while self._sent_at and now - self._sent_at[0] > 1.0:
            self._sent_at.popleft()
        if len(self._sent_at) >= 30 or now - self._chat_sent.get(chat_id, -10.0) < 1.0:
            return 1
        self._sent_at.append(now)
        self._chat_sent[chat_id] = now
        return 0

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method == "getUpdates":
            return await self._get_updates(int(params.get("offset") or 0), float(params.get("timeout") or 0))
        if method == "setWebhook":
            self.webhook = {"url": str(params.get("url")), "secret_token": str(params.get("secret_token") or "")}
            return True
        if method == "deleteWebhook":
            self.webhook = None
            return True
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            chat_id = int(params.get("chat_id", 0))
            if method == "sendMessage":
                waiting = self._waiting.pop(chat_id, None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(time.perf_counter())
            message: dict[str, Any] = {"message_id": int(params.get("message_id") or next(self._message_ids)),
                                       "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                                       "from": BOT}
            if "text" in params:
                message["text"] = params["text"]
            return message
        if method == "getMyCommands":
            return []
        return True

    async def _get_updates(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        async with self._arrived:
            self.updates = [update for update in self.updates if update["update_id"] >= offset]
            if not self.updates and timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), timeout=timeout)
            self.updates = [update for update in self.updates if update["update_id"] >= offset]
            return list(self.updates[:100])
