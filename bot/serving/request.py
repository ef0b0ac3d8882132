"""The HTTP request object for Bot API calls: PTB's httpx request with a pool sized for concurrent updates,
counting 429 answers for the metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram.request import HTTPXRequest


class CountingRequest(HTTPXRequest):
    def __init__(self, on_429: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_429 = on_429

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == 429:
            self._on_429()
        return code, payload
