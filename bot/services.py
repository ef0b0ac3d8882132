"""The services a handler may use, built once by `bot.app` (the composition root).

The use cases (`accounts`, `questions`, `handoffs`, `survey_service`, `reminders`, `invitations`, `privacy`,
`staff`) are built
from the fields on first use, so a copy with another database or settings (`dataclasses.replace`, as tests do)
gets use cases over that database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge.loader import KnowledgeBase

from .accounts import Accounts
from .config import Settings
from .handoff import Handoffs
from .i18n import Translator
from .invitations.recorder import SentRecorder
from .invitations.service import Invitations, Tuning
from .nlu_client import RasaNluClient
from .privacy import Privacy
from .qa import QAService
from .questions import Questions
from .staff.service import StaffService
from .surveys.engine import SurveyEngine
from .surveys.reminders import Reminders
from .surveys.schema import Survey
from .surveys.service import SurveyService
from .uow import UnitOfWorkFactory


@dataclass
class Services:
    settings: Settings
    kb: KnowledgeBase
    qa: QAService
    texts: Translator
    uow: UnitOfWorkFactory
    survey_engine: SurveyEngine
    nlu: RasaNluClient | None = None
    engine: AsyncEngine | None = None
    surveys: dict[str, Survey] = field(default_factory=dict)  # loaded survey definitions, by id

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.uow, self.settings.default_language)

    @cached_property
    def questions(self) -> Questions:
        return Questions(self.uow, self.qa, self.settings.default_language, self.settings.followup_minutes)

    @cached_property
    def handoffs(self) -> Handoffs:
        return Handoffs(self.uow, self.settings, self.texts)

    @cached_property
    def survey_service(self) -> SurveyService:
        return SurveyService(self.uow, self.survey_engine, self.settings.default_language)

    @cached_property
    def reminders(self) -> Reminders:
        return Reminders(self.uow, self.survey_engine)

    @cached_property
    def invitations(self) -> Invitations:
        settings = self.settings
        return Invitations(self.uow, self.survey_engine, settings.default_language,
                           Tuning(claim_seconds=settings.invitation_claim_seconds,
                                  status_seconds=settings.invitation_status_seconds,
                                  at_most_once=settings.invitation_delivery == "at_most_once"),
                           SentRecorder(self.engine) if self.engine is not None else None)

    @cached_property
    def privacy(self) -> Privacy:
        return Privacy(self.uow, self.survey_engine, self.settings.default_language)

    @cached_property
    def staff(self) -> StaffService:
        return StaffService(self.uow, self.surveys, self.kb, self.qa, self.settings)
