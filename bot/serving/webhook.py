"""Webhook mode: an ASGI app (Starlette, served by uvicorn) — the pattern of PTB's custom-webhook example.

POST <path of WEBHOOK_URL>: the secret is checked against `X-Telegram-Bot-Api-Secret-Token` (wrong or missing →
403, nothing stored); the update is stored in the inbox and only then answered 200 (a database failure → 503,
Telegram delivers it again later); a redelivered update is answered 200 and ignored. Processing happens
after the answer, through `application.update_queue` and the chat-ordered processor.

GET /healthz: the process is alive. GET /readyz: the database answers (503 if not), with the NLU state
("ok", "degraded" or "unknown"; the bot answers without Rasa, so that alone does not make it unready).
GET /metrics: Prometheus text format (bot.metrics).
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.services import Services

from .polling import enqueue

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_000_000  # bytes; Telegram's updates are far smaller


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


def create_app(application: Any, services: Services, path: str, secret: str) -> Starlette:
    inbox = services.inbox
    metrics = services.metrics

    async def telegram(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        try:
            payload = json.loads(body) if len(body) <= MAX_BODY else None
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return PlainTextResponse("not an update", status_code=400)
        try:
            new = await inbox.store([payload])  # before the 200 that confirms it
        except Exception:
            log.exception("could not store update %s", payload["update_id"])
            return PlainTextResponse("storage unavailable", status_code=503)
        metrics.updates.labels("webhook").inc(len(new))
        metrics.duplicates.inc(1 - len(new))
        await enqueue(application, new)
        return Response(status_code=200)

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        database = "ok"
        try:
            assert services.engine is not None
            async with services.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            database = f"unavailable: {type(exc).__name__}"
        healthy = services.nlu.healthy if services.nlu is not None else None
        nlu = {True: "ok", False: "degraded", None: "unknown"}[healthy]
        return JSONResponse({"database": database, "nlu": nlu}, status_code=200 if database == "ok" else 503)

    async def metrics_page(_: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    return Starlette(routes=[
        Route(path, telegram, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ])
