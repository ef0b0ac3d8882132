"""Run the assistant: `python -m bot` (Telegram long polling when TELEGRAM_BOT_TOKEN is set, otherwise a
local console chat through the same handlers), `python -m bot --console` to force the console."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from telegram import Update

from .app import build_application, build_services, close_services
from .config import Settings
from .console import ConsolePrinter, run_console
from .offline import OfflineBotApi

log = logging.getLogger("bot")


def _configure_logging(level: str, quiet: bool) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if quiet:  # the console chat shows the conversation; only problems go to the log
        logging.getLogger().setLevel(logging.WARNING)


async def _console(settings: Settings) -> None:
    services = await build_services(settings)
    printer = ConsolePrinter()
    api = OfflineBotApi(on_call=printer)
    application = build_application(settings, services, request=api, rate_limit=False)
    try:
        await run_console(application, api, printer, settings.default_language)
    finally:
        await close_services(services)


async def _serve(settings: Settings) -> None:
    """Long polling, with services and application in one event loop (the database engine and the HTTP
    client must live in the loop that uses them). SIGINT/SIGTERM stop polling, then everything closes."""
    services = await build_services(settings)
    application = build_application(settings, services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with application:
            if application.post_init:
                await application.post_init(application)
            await application.start()
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("serving Telegram by long polling via %s", settings.telegram_api_base_url)
            await stop.wait()
            log.info("stopping")
            await application.updater.stop()
            await application.stop()
    finally:
        await close_services(services)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    parser.add_argument("--console", action="store_true", help="local console chat even if a token is set")
    args = parser.parse_args(argv)
    settings = Settings()
    console = args.console or not settings.token
    _configure_logging(settings.log_level, quiet=console)
    if console:
        try:
            asyncio.run(_console(settings))
        except KeyboardInterrupt:
            pass
    else:
        asyncio.run(_serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
