"""A minimal asyncio HTTP/1.1 client and request reader (standard library only; Rasa's venv has no httpx)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_HEAD = 16 * 1024
MAX_BODY = 64 * 1024


class BadRequest(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    keep_alive: bool = True


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
           413: "Payload Too Large", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def _headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep:
            raise BadRequest(400, "malformed header")
        headers[name.strip().lower()] = value.strip()
    return headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str], limit: int) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        total = 0
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                return b"".join(chunks)
            total += size
            if total > limit:
                raise BadRequest(413, "body too large")
            chunks.append(await reader.readexactly(size))
            await reader.readline()
    length = int(headers.get("content-length", "0") or "0")
    if length < 0:
        raise BadRequest(400, "bad content-length")
    if length > limit:
        raise BadRequest(413, "body too large")
    return await reader.readexactly(length) if length else b""


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on a connection; None when the client closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError as exc:
        raise BadRequest(413, "headers too large") from exc
    lines = head.decode("latin-1").split("\r\n")[:-2]
    parts = lines[0].split(" ") if lines else []
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400, "malformed request line")
    headers = _headers(lines[1:])
    try:
        body = await _read_body(reader, headers, MAX_BODY)
    except ValueError as exc:
        if isinstance(exc, BadRequest):
            raise
        raise BadRequest(400, "malformed body") from exc
    url = urlsplit(parts[1])
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" and (parts[2] == "HTTP/1.1" or connection == "keep-alive")
    return Request(parts[0].upper(), url.path, parse_qs(url.query), headers, body, keep_alive)


def render_response(response: Response, keep_alive: bool) -> bytes:
    reason = REASONS.get(response.status, "Status")
    headers = {"content-type": "application/json", **{k.lower(): v for k, v in response.headers.items()},
               "content-length": str(len(response.body)), "connection": "keep-alive" if keep_alive else "close"}
    head = f"HTTP/1.1 {response.status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + response.body


async def request(host: str, port: int, method: str, path: str, body: bytes = b"", timeout: float = 5.0) -> Response:
    """One request on a fresh connection (`Connection: close`). Raises OSError / asyncio.TimeoutError / ValueError."""

    async def exchange() -> Response:
        reader, writer = await asyncio.open_connection(host, port, limit=MAX_HEAD * 4)
        try:
            head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
            if body or method in ("POST", "PUT"):
                head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            head += "\r\n"
            writer.write(head.encode("latin-1") + body)
            await writer.drain()
            raw = await reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")[:-2]
            status = int(lines[0].split(" ")[1])
            headers = _headers(lines[1:])
            if "content-length" in headers or headers.get("transfer-encoding", "").lower() == "chunked":
                payload = await _read_body(reader, headers, 16 * 1024 * 1024)
            else:
                payload = await reader.read()
            return Response(status, payload, headers)
        finally:
            writer.close()

    try:
        return await asyncio.wait_for(exchange(), timeout)
    except asyncio.IncompleteReadError as exc:
        raise ConnectionError("connection closed mid-response") from exc
