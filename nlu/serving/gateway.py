"""The only door to the NLU: `POST /model/parse` and `GET /status`, with the shared token.

`rasa run --enable-api` also serves `PUT /model` (load any model file), `POST /model/train`, `/model/test`,
`/conversations/...`; binding and a token do not keep those from anyone who holds the token inside a compose
network. Here Rasa listens on 127.0.0.1 with a token only the gateway knows, and the gateway forwards exactly
the two endpoints the bot uses — anything else is 404. `/status` is Rasa's answer plus `serving` (the model's
training time and knowledge hash, the last background training, restarts) for the bot's `/stats` and the
"your example is learnt" message.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from typing import Any, Protocol

from . import httpio
from .httpio import BadRequest, Request, Response

log = logging.getLogger("nlu.serving")

ALLOWED = {"/model/parse": "POST", "/status": "GET"}


class Upstreams(Protocol):
    current: Any

    def status(self) -> dict[str, Any]: ...


def _json(status: int, payload: dict[str, Any]) -> Response:
    return Response(status, json.dumps(payload).encode())


class Gateway:
    def __init__(self, upstreams: Upstreams, token: str | None, internal_token: str, timeout: float = 10.0) -> None:
        self._upstreams = upstreams
        self._token = token
        self._internal = internal_token
        self._timeout = timeout
        self._server: asyncio.AbstractServer | None = None

    def _authorized(self, request: Request) -> bool:
        if not self._token:
            return True
        given = (request.query.get("token") or [""])[0]
        bearer = request.headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            given = given or bearer[7:].strip()
        return hmac.compare_digest(given.encode(), self._token.encode())

    async def handle(self, request: Request) -> Response:
        expected = ALLOWED.get(request.path)
        if expected is None:
            return _json(404, {"error": "not found", "allowed": sorted(ALLOWED)})
        if request.method != expected:
            return _json(405, {"error": f"use {expected}"})
        if not self._authorized(request):
            return _json(401, {"error": "missing or wrong token"})
        upstream = self._upstreams.current
        serving = self._upstreams.status()
        if upstream is None:
            return _json(503, {"error": "no NLU server", "serving": serving})
        method, body = (("POST", request.body) if request.path == "/model/parse" else ("GET", b""))
        upstream.inflight += 1
        try:
            answer = await httpio.request("127.0.0.1", upstream.port, method,
                                          f"{request.path}?token={self._internal}", body, timeout=self._timeout)
        except (OSError, asyncio.TimeoutError, ValueError) as exc:
            return _json(503, {"error": f"NLU server unavailable ({type(exc).__name__})", "serving": serving})
        finally:
            upstream.inflight -= 1
        if request.path == "/status" and answer.status == 200:
            try:
                payload = answer.json()
            except ValueError:
                return _json(502, {"error": "bad answer from the NLU server", "serving": serving})
            payload["serving"] = serving
            return _json(200, payload)
        return Response(answer.status, answer.body)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    request = await asyncio.wait_for(httpio.read_request(reader), 75)
                except BadRequest as exc:
                    writer.write(httpio.render_response(_json(exc.status, {"error": str(exc)}), False))
                    await writer.drain()
                    return
                if request is None:
                    return
                try:
                    response = await self.handle(request)
                except Exception:  # never let one request take the gateway down
                    log.exception("gateway error on %s %s", request.method, request.path)
                    response = _json(502, {"error": "gateway error"})
                writer.write(httpio.render_response(response, request.keep_alive))
                await writer.drain()
                if not request.keep_alive:
                    return
        except (asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def listen(self, host: str, port: int) -> asyncio.AbstractServer:
        self._server = await asyncio.start_server(self._connection, host, port, limit=httpio.MAX_HEAD)
        log.info("NLU gateway listening on %s:%s (only /model/parse and /status)", host, port)
        return self._server
