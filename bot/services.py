"""The services a handler may use, built once by `bot.app` (the composition root)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge.loader import KnowledgeBase

from .config import Settings
from .db.uow import UnitOfWorkFactory
from .i18n import Translator
from .nlu_client import RasaNluClient
from .qa import QAService
from .surveys.engine import SurveyEngine
from .surveys.schema import Survey


@dataclass
class Services:
    settings: Settings
    kb: KnowledgeBase
    qa: QAService
    texts: Translator
    uow: UnitOfWorkFactory
    nlu: RasaNluClient | None = None
    engine: AsyncEngine | None = None
    surveys: dict[str, Survey] = field(default_factory=dict)  # loaded survey definitions, by id
    survey_engine: SurveyEngine | None = None
