"""Fakes (not mocks): small working stand-ins for the NLU server and a failing Bot API, used by the fast tests."""

from __future__ import annotations

import json
from typing import Any

from telegram.request import RequestData

from bot.nlu_client import IntentScore, NluResult, NluUnavailable
from bot.offline import ApiCall, OfflineBotApi


class FakeNlu:
    """Answers from a table of text → ranking; anything else is 'down' unless a default is given."""

    def __init__(self, answers: dict[str, list[tuple[str, float]]] | None = None, down: bool = False) -> None:
        self.answers = answers or {}
        self.down = down
        self.calls: list[str] = []
        self.again: list[str] = []  # the texts parsed as a message's second parse (they skip the client's queue)

    async def parse(self, text: str, again: bool = False) -> NluResult:
        self.calls.append(text)
        if again:
            self.again.append(text)
        if self.down or text not in self.answers:
            raise NluUnavailable("fake NLU is down")
        return NluResult(tuple(IntentScore(intent, confidence) for intent, confidence in self.answers[text]))

    async def aclose(self) -> None:
        return None


class FailingBotApi(OfflineBotApi):
    """The offline Bot API with scripted failures: `fail(method, chat id, code, description)` makes every such call
    fail as Telegram would; `migrate(chat, new chat)` answers sends to `chat` with "group upgraded to a supergroup"
    (PTB raises ChatMigrated). `heal(...)` removes a failure."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: dict[tuple[str, int], dict[str, Any]] = {}

    def fail(self, method: str, chat_id: int, code: int = 403,
             description: str = "Forbidden: bot can't initiate conversation with a user") -> None:
        self.failures[(method, chat_id)] = {"ok": False, "error_code": code, "description": description}

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        self.failures[("sendMessage", chat_id)] = {
            "ok": False, "error_code": 400, "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": new_chat_id},
        }

    def heal(self, method: str, chat_id: int) -> None:
        self.failures.pop((method, chat_id), None)

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        params = dict(request_data.parameters) if request_data else {}
        chat = params.get("chat_id")
        failure = self.failures.get((url.rsplit("/", 1)[-1], int(chat) if chat is not None else 0))
        if failure is not None:
            self.calls.append(ApiCall(url.rsplit("/", 1)[-1] + "!failed", params))
            return failure["error_code"], json.dumps(failure).encode()
        return await super().do_request(url, method, request_data, *args, **kwargs)
