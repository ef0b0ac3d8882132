"""The two ways of serving Telegram: long polling (default) and webhook (WEBHOOK_URL set).

Services and application live in one event loop (the database engine and HTTP clients must live in the
loop that uses them). SIGINT/SIGTERM stop intake first, then the application, then everything closes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import Any

from bot.app import (
    ALLOWED_UPDATES,
    build_application,
    build_services,
    close_services,
    start_background,
    stop_background,
)
from bot.config import Settings

from .polling import poll, recover

log = logging.getLogger("bot")


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def serve_polling(settings: Settings) -> None:
    services = await build_services(settings)
    application = build_application(settings, services)
    stop = _stop_event()
    try:
        async with application:
            if application.post_init:
                await application.post_init(application)
            await application.bot.delete_webhook()  # polling and a webhook exclude each other
            await application.start()
            await start_background(application)  # the survey invitation worker
            log.info("serving Telegram by long polling via %s (replica %s)", settings.telegram_api_base_url,
                     settings.replica_id)
            await poll(application, services.inbox, stop, services.metrics, allowed_updates=ALLOWED_UPDATES)
            log.info("stopping")
            await stop_background(application)
            await application.stop()
    finally:
        await close_services(services)


async def serve_webhook(settings: Settings) -> None:
    import uvicorn

    from .webhook import create_app, webhook_path

    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    services = await build_services(settings)
    application = build_application(settings, services)
    class Server(uvicorn.Server):
        """uvicorn re-raises a captured SIGTERM after serving, which would kill the process before the application
        and the database are closed: here the signals set `stop`, and `stop` ends the server."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    server = Server(uvicorn.Config(
        create_app(application, services, webhook_path(settings.webhook_url), secret),
        host=settings.webhook_listen_host, port=settings.webhook_listen_port, log_level="warning",
        lifespan="off",
    ))
    try:
        async with application:
            if application.post_init:
                await application.post_init(application)
            await application.bot.set_webhook(settings.webhook_url, secret_token=secret,
                                              allowed_updates=ALLOWED_UPDATES,
                                              max_connections=settings.webhook_max_connections)
            await application.start()
            await recover(application, services.inbox, after_restart=True)
            await start_background(application)  # the survey invitation worker
            recovery = asyncio.create_task(_recover_periodically(application, services))
            stop = _stop_event()
            stopper = asyncio.create_task(_exit_on(stop, server))
            log.info("serving Telegram by webhook on %s:%s (replica %s)", settings.webhook_listen_host,
                     settings.webhook_listen_port, settings.replica_id)
            try:
                await server.serve()
            finally:
                recovery.cancel()
                stopper.cancel()
            log.info("stopping")
            await stop_background(application)
            await application.stop()
    finally:
        await close_services(services)


async def _exit_on(stop: asyncio.Event, server: Any) -> None:
    await stop.wait()
    server.should_exit = True


async def _recover_periodically(application: Any, services: Any) -> None:
    while True:
        await asyncio.sleep(60)
        try:
            await recover(application, services.inbox, after_restart=False)
            await services.inbox.prune()
        except Exception:
            log.exception("could not look for unprocessed updates")
