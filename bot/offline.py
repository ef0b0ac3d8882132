"""An in-process stand-in for the Telegram Bot API server.

PTB sends every Bot API call through a `BaseRequest`; this one answers locally instead of over HTTP, the
way PTB's own test suite works offline. It records every call (method + parameters) so tests can assert on
exactly what the bot would have sent to Telegram, and the console chat prints the calls it cares about.
The answers have the shapes the real Bot API returns, so PTB parses them as it would in production.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 100000001,
    "is_bot": True,
    "first_name": "Cohesion assistant",
    "username": "cohesion_assistant_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    files: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons of this call's reply_markup, row by row flattened."""
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        rows = (markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]


NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message")
QUERY_ANSWERED = "Bad Request: query is too old and response timeout expired or query ID is invalid"


def _keyboard(markup: Any) -> str:
    """A reply_markup parameter in one comparable form ("" for none)."""
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = (markup or {}).get("inline_keyboard") if isinstance(markup, dict) else None
    return json.dumps(rows, sort_keys=True) if rows else ""


class OfflineBotApi(BaseRequest):
    """Like Telegram, it refuses an edit that changes nothing ("message is not modified") and a second answer
    to the same button press, so handlers meet those errors in tests as they do in production."""

    def __init__(self, on_call: Callable[[ApiCall], None] | None = None) -> None:
        self.calls: list[ApiCall] = []
        self._message_ids = itertools.count(1000)
        self._on_call = on_call
        self._shown: dict[tuple[str, str], tuple[str, str]] = {}  # (chat, message) → (text, keyboard) as shown
        self._answered: set[str] = set()

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def by_method(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    @property
    def sent(self) -> list[ApiCall]:
        """Messages the bot sent or edited, in order (what a user would see)."""
        return [call for call in self.calls if call.method in ("sendMessage", "editMessageText", "sendDocument", "sendPhoto")]

    def clear(self) -> None:
        self.calls.clear()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        files = dict(request_data.multipart_data) if request_data and request_data.contains_files else {}
        call = ApiCall(api_method, params, files)
        self.calls.append(call)
        if self._on_call is not None:
            self._on_call(call)
        refusal = self._refusal(api_method, params)
        if refusal is not None:
            return 400, json.dumps({"ok": False, "error_code": 400, "description": refusal}).encode()
        result = self._result(api_method, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _refusal(self, method: str, params: dict[str, Any]) -> str | None:
        """What Telegram would refuse, as its error description; records what each message now shows."""
        if method == "answerCallbackQuery":
            query_id = str(params.get("callback_query_id"))
            if query_id in self._answered:
                return QUERY_ANSWERED
            self._answered.add(query_id)
            return None
        if method not in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            return None
        keyboard = _keyboard(params.get("reply_markup"))
        if method == "sendMessage":
            return None  # recorded in _result, once its message id is known
        key = (str(params.get("chat_id")), str(params.get("message_id")))
        before = self._shown.get(key)
        text = str(params["text"]) if method == "editMessageText" else (before[0] if before else "")
        if before == (text, keyboard):
            return NOT_MODIFIED
        self._shown[key] = (text, keyboard)
        return None

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id", 1)
        message: dict[str, Any] = {
            "message_id": params.get("message_id") or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "supergroup"},
            "from": BOT_USER,
        }
        if "reply_markup" in params:
            markup = params["reply_markup"]
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        message.update(extra)
        return message

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "editMessageText"):
            message = self._message(params, text=params.get("text", ""))
            if method == "sendMessage":
                key = (str(message["chat"]["id"]), str(message["message_id"]))
                self._shown[key] = (message["text"], _keyboard(params.get("reply_markup")))
            return message
        if method == "editMessageReplyMarkup":
            return self._message(params)
        if method == "sendDocument":
            return self._message(
                params,
                document={"file_id": "offline-doc", "file_unique_id": "offline-doc", "file_name": "export"},
                caption=params.get("caption", ""),
            )
        if method == "sendPhoto":
            photo = {"file_id": "offline-photo", "file_unique_id": "offline-photo", "width": 800, "height": 600}
            return self._message(params, photo=[photo], caption=params.get("caption", ""))
        if method == "getUpdates":
            return []
        if method == "getMyCommands":
            return []
        return True


_UPDATE_IDS = itertools.count(1)


class UpdateFactory:
    """Builds the updates Telegram would deliver for one private-chat user (console chat and tests)."""

    def __init__(self, bot: Any, user_id: int = 424242, language_code: str | None = "lv", first_name: str = "Anna") -> None:
        self.bot = bot
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            self.user["language_code"] = language_code
        self.chat = {"id": user_id, "type": "private", "first_name": first_name}
        # Update and button-press ids are unique per bot, as Telegram's are — not per simulated user (two users'
        # presses with one id would look like one press answered twice).
        self._ids = _UPDATE_IDS
        self._message_ids = itertools.count(1)
        self.last_bot_message: dict[str, Any] = {
            "message_id": 1, "date": int(time.time()), "chat": self.chat, "from": BOT_USER, "text": "…",
        }

    def message(self, text: str) -> Any:
        from telegram import Update

        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return Update.de_json({"update_id": next(self._ids), "message": message}, self.bot)

    def sticker(self) -> Any:
        from telegram import Update

        sticker = {
            "file_id": "sticker", "file_unique_id": "sticker", "width": 512, "height": 512,
            "is_animated": False, "is_video": False, "type": "regular",
        }
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": self.chat,
                   "from": self.user, "sticker": sticker}
        return Update.de_json({"update_id": next(self._ids), "message": message}, self.bot)

    def callback(self, data: str, message: dict[str, Any] | None = None) -> Any:
        from telegram import Update

        query = {
            "id": str(next(self._ids)),
            "from": self.user,
            "chat_instance": "console",
            "data": data,
            "message": message or self.last_bot_message,
        }
        return Update.de_json({"update_id": next(self._ids), "callback_query": query}, self.bot)
