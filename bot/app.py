"""The composition root: the one place that builds and wires everything together — and the only module that
imports both `bot` (the Telegram-free use cases) and `handlers` (the Telegram side).

`build_services()` loads the knowledge base, opens the database (running migrations) and creates the NLU
client and the lexical matcher; `build_application()` creates the PTB Application around those services.
Tests and the console chat call the same two functions with an offline Bot API request object.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults
from telegram.request import BaseRequest

import handlers
from handlers.common import SERVICES_KEY
from knowledge.language import LanguageDetector
from knowledge.loader import load_knowledge_base
from knowledge.matcher import LexicalMatcher
from knowledge.version import content_hash

from .config import Settings
from .db.database import create_engine, create_session_factory, migrate
from .db.send_budget import Budget, DatabaseSendBudget, MemorySendBudget
from .i18n import LANGUAGES, Translator
from .metrics import Metrics
from .nlu_client import RasaNluClient
from .qa import QAService
from .ratelimit import SharedRateLimiter
from .services import Services
from .serving.processor import ChatOrderedProcessor
from .serving.request import CountingRequest
from .staff import STAFF_COMMANDS
from .surveys.engine import SurveyEngine, respondent_secret
from .surveys.schema import load_surveys
from .uow import uow_factory

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
OFFLINE_TOKEN = "0:offline"
ALLOWED_UPDATES = handlers.ALLOWED_UPDATES  # what polling or a webhook asks Telegram for: only what is handled
COMMANDS = ("start", "help", "language", "topics", "feedback", "mydata", "forget", "cancel", "stop")


async def build_services(settings: Settings, use_nlu: bool = True) -> Services:
    kb = load_knowledge_base(settings.knowledge_dir)
    surveys = load_surveys(settings.surveys_dir)  # a broken survey file stops the start with file/question/field
    engine = create_engine(settings.database_url, settings.db_pool_size, settings.db_max_overflow)
    await migrate(engine)
    metrics = Metrics()
    nlu = (
        RasaNluClient(
            settings.nlu_url,
            settings.nlu_token.get_secret_value() if settings.nlu_token else None,
            timeout=settings.nlu_timeout,
            max_in_flight=settings.nlu_max_in_flight,
            max_wait=settings.nlu_max_wait,
            observe=metrics.nlu_seconds.observe,
        )
        if use_nlu
        else None
    )
    if nlu is not None:
        metrics.watch_degraded(lambda: nlu.healthy is False)
        metrics.watch_shed(lambda: nlu.shed)
    qa = QAService.from_settings(kb, nlu, LexicalMatcher(kb), LanguageDetector(kb), settings)
    services = Services(
        settings=settings,
        kb=kb,
        qa=qa,
        texts=Translator(default=settings.default_language),
        uow=uow_factory(create_session_factory(engine)),
        nlu=nlu,
        engine=engine,
        surveys=surveys,
        knowledge_version=content_hash(settings.knowledge_dir),
        metrics=metrics,
        survey_engine=SurveyEngine(
            surveys,
            respondent_secret(
                settings.respondent_key_secret.get_secret_value() if settings.respondent_key_secret else None
            ),
            reminder_delay=timedelta(hours=settings.survey_reminder_hours),
        ),
    )
    unfinished, markers = await services.privacy.key_report()
    if unfinished or markers:
        log.warning(
            "%d unfinished survey response(s) and %d \"already answered\" marker(s) carry a respondent key made by "
            "another RESPONDENT_KEY_SECRET (or before key ids were recorded): their owners cannot resume, /forget or "
            "be refused by them. If the secret did not change, run `python -m bot.respondent_keys adopt`; after a "
            "change, `python -m bot.respondent_keys drop` (docs/surveys.md, \"Respondent key\").",
            unfinished, markers,
        )
    return services


async def close_services(services: Services) -> None:
    if services.nlu is not None:
        await services.nlu.aclose()
    if "invitations" in services.__dict__:  # built (cached_property): its own connections go back first
        await services.invitations.close()
    if services.engine is not None:
        await services.engine.dispose()


async def register_commands(application: App) -> None:
    """The command menu in lv (also the default for other languages), en and ru."""
    texts: Translator = application.bot_data[SERVICES_KEY].texts
    for language in LANGUAGES:
        commands = [BotCommand(name, texts(language, f"commands.{name}")) for name in COMMANDS]
        await application.bot.set_my_commands(commands, language_code=language)
        if language == texts.default:
            await application.bot.set_my_commands(commands)
    await register_staff_commands(application)


async def register_staff_commands(application: App) -> None:
    """Each admin's own menu (chat scope): the public commands plus the staff commands, in lv/en/ru.

    Telegram refuses a chat scope for a user who never opened the bot ("chat not found"); that is logged and
    the admin gets the menu at the next start after opening the bot — it never stops the bot starting."""
    services = application.bot_data[SERVICES_KEY]
    texts: Translator = services.texts
    for admin_id in sorted(services.settings.admin_ids):
        scope = BotCommandScopeChat(admin_id)
        try:
            for language in LANGUAGES:
                commands = [BotCommand(name, texts(language, f"commands.{name}")) for name in (*COMMANDS, *STAFF_COMMANDS)]
                await application.bot.set_my_commands(commands, scope=scope, language_code=language)
                if language == texts.default:
                    await application.bot.set_my_commands(commands, scope=scope)
        except TelegramError as exc:
            log.warning("could not set the staff command menu for admin %s: %s", admin_id, exc)


def send_budget(settings: Settings, services: Services) -> Budget:
    """The shared budget in the database (every replica draws from it) on PostgreSQL or when asked; else in memory."""
    choice = settings.send_budget
    if choice == "auto":
        choice = "database" if services.engine is not None and services.engine.dialect.name == "postgresql" else "memory"
    if choice == "database" and services.engine is not None:
        return DatabaseSendBudget(services.engine)
    return MemorySendBudget()


def rate_limiter(settings: Settings, services: Services) -> SharedRateLimiter:
    return SharedRateLimiter(send_budget(settings, services), rate=settings.send_rate,
                             bulk_rate=settings.invitation_rate, chat_burst=settings.send_chat_burst)


async def start_background(application: App) -> None:
    """What a serving bot runs besides updates: the survey invitation worker (not started by tests' Applications)."""
    await handlers.start_background(application)


async def stop_background(application: App) -> None:
    """A graceful stop of the background work: invitations in flight are sent and recorded, the rest released."""
    await handlers.stop_background(application)


def build_application(
    settings: Settings,
    services: Services,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
) -> App:
    builder = (
        ApplicationBuilder()
        .token(settings.token or OFFLINE_TOKEN)
        .base_url(settings.telegram_api_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(register_commands)
    )
    processor = ChatOrderedProcessor(settings.max_concurrent_updates, services.inbox, services.metrics)
    builder = builder.concurrent_updates(processor).updater(None)  # intake: bot.serving.polling / webhook
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.request(CountingRequest(services.metrics.too_many_requests.inc,
                                                  connection_pool_size=settings.max_concurrent_updates + 8))
    if rate_limit and settings.telegram_rate_limiter:  # one send budget for every replica (bot/ratelimit.py)
        builder = builder.rate_limiter(rate_limiter(settings, services))  # type: ignore[arg-type]
    application = builder.build()
    application.bot_data[SERVICES_KEY] = services
    handlers.register(application)
    handlers.surveys.schedule_reminders(application, settings.survey_reminder_check_seconds)
    handlers.staff.schedule_retries(application, settings.handoff_retry_check_seconds)
    handlers.privacy.schedule_retention(application, settings.retention_check_seconds)
    handlers.staff.unanswered.schedule_teaching(application, settings.nlu_watch_seconds)
    return application
