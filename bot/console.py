"""A local console chat with the assistant, for trying it without Telegram (like `rasa shell`).

It runs the *same* PTB Application, handlers and services as production; only the Bot API is replaced by
`OfflineBotApi`, whose calls are printed here. Buttons are shown numbered: type the number to press one.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import Application

from .formatting import strip_tags
from .offline import ApiCall, OfflineBotApi, UpdateFactory

PROMPT = "you> "


class ConsolePrinter:
    """Prints what the bot sends and remembers the buttons of the last message that had any."""

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.buttons: list[dict[str, Any]] = []
        self._write = write

    def __call__(self, call: ApiCall) -> None:
        if call.method in ("sendMessage", "editMessageText", "sendDocument", "sendPhoto"):
            self._write("bot> " + strip_tags(call.text).replace("\n", "\n     "))
        if call.method == "answerCallbackQuery" and call.params.get("text"):
            self._write(f"bot> ({call.params['text']})")
        if call.method in ("sendMessage", "editMessageText", "editMessageReplyMarkup") and call.buttons:
            self.buttons = call.buttons
            for number, button in enumerate(self.buttons, start=1):
                self._write(f"     [{number}] {button.get('text')}")


async def _read_line() -> str | None:
    try:
        return await asyncio.to_thread(input, PROMPT)
    except EOFError:
        return None


async def run_console(application: Application[Any, Any, Any, Any, Any, Any], api: OfflineBotApi, printer: ConsolePrinter, language: str) -> None:
    factory = UpdateFactory(application.bot, user_id=424242, language_code=language)
    print("Console chat with the assistant. Type a question, /start, /topics, /help, /language;")
    print("type a button's number to press it; Ctrl-D or /quit to leave.\n")
    async with application:
        await application.post_init(application) if application.post_init else None
        await application.process_update(factory.message("/start"))
        while True:
            line = await _read_line()
            if line is None or line.strip() in ("/quit", "/exit"):
                break
            line = line.strip()
            if not line:
                continue
            update: Update
            if line.isdigit() and printer.buttons and 1 <= int(line) <= len(printer.buttons):
                update = factory.callback(printer.buttons[int(line) - 1].get("callback_data", ""))
            else:
                update = factory.message(line)
            await application.process_update(update)
    print("bye", file=sys.stderr)
