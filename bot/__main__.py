"""Run the assistant: `python -m bot` (Telegram long polling when TELEGRAM_BOT_TOKEN is set, otherwise a
local console chat through the same handlers), `python -m bot --console` to force the console."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update

from bot.surveys.schema import SurveyDefinitionError
from knowledge.loader import KnowledgeBaseError

from .app import build_application, build_services, close_services, start_background, stop_background
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
            await start_background(application)
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("serving Telegram by long polling via %s", settings.telegram_api_base_url)
            await stop.wait()
            log.info("stopping")
            if application.updater is not None:
                await application.updater.stop()
            await stop_background(application)
            await application.stop()
    finally:
        await close_services(services)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    parser.add_argument("--console", action="store_true", help="local console chat even if a token is set")
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"Configuration error (environment / .env):\n{exc}", file=sys.stderr)
        return 2
    console = args.console or not settings.token
    _configure_logging(settings.log_level, quiet=console)
    try:
        if console:
            asyncio.run(_console(settings))
        else:
            asyncio.run(_serve(settings))
    except KeyboardInterrupt:
        pass
    except (KnowledgeBaseError, SurveyDefinitionError) as exc:
        # A hand-edited file is broken: say which file, item and field, without a stack trace.
        log.error("cannot start: %s", exc)
        return 2
    except (OSError, SQLAlchemyError) as exc:
        log.error("cannot start: the database at %s is not usable: %s", _safe_url(settings.database_url), exc)
        return 3
    return 0


def _safe_url(url: str) -> str:
    """The database URL without its password, for log messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
