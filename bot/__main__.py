"""Run the assistant: `python -m bot` (Telegram long polling when TELEGRAM_BOT_TOKEN is set — a webhook server
when WEBHOOK_URL is set too —, otherwise a
local console chat through the same handlers), `python -m bot --console` to force the console."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.surveys.schema import SurveyDefinitionError
from knowledge.loader import KnowledgeBaseError

from .app import build_application, build_services, close_services
from .config import Settings
from .console import ConsolePrinter, run_console
from .offline import OfflineBotApi
from .serving.run import serve_polling, serve_webhook

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
            asyncio.run(serve_webhook(settings) if settings.webhook_url else serve_polling(settings))
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
