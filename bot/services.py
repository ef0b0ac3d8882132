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
from .intake import Inbox
from .invitations.recorder import SentRecorder
from .invitations.service import Invitations, Tuning
from .metrics import Metrics
from .nlu_client import RasaNluClient
from .privacy import Privacy
from .qa import QAService
from .questions import FloodLimits, Questions
from .staff.service import StaffService
from .surveys.engine import SurveyEngine
from .surveys.reminders import Reminders
from .surveys.schema import Survey
from .surveys.service import SurveyService
from .teaching import Teaching
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
    knowledge_version: str = ""  # knowledge.version.content_hash of the knowledge base `kb` was loaded from
    metrics: Metrics = field(default_factory=Metrics)

    def install_knowledge(self, qa: QAService, version: str) -> None:
        """Swap in a reloaded knowledge base (`bot.teaching`): both fields in one step, with no await between,
        so no handler sees the new `kb` with the old `qa`; use cases ask for `self.qa` afresh on every call."""
        self.qa, self.kb, self.knowledge_version = qa, qa.kb, version

    def current_qa(self) -> QAService:
        return self.qa

    @cached_property
    def teaching(self) -> Teaching:
        return Teaching(self.settings.knowledge_dir, self.texts, self.nlu, self.current_qa, self.install_knowledge,
                        lambda: self.knowledge_version)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.uow, self.settings.default_language)

    @cached_property
    def questions(self) -> Questions:
        limits = FloodLimits(self.settings.flood_questions_per_second, self.settings.flood_burst,
                             self.settings.max_open_handoffs)
        return Questions(self.uow, self.current_qa, self.settings.default_language, self.settings.followup_minutes,
                         limits, self.settings.handoff_wait_minutes)

    @cached_property
    def inbox(self) -> Inbox:
        return Inbox(self.uow, self.settings.replica_id)

    @cached_property
    def handoffs(self) -> Handoffs:
        return Handoffs(self.uow, self.settings, self.texts, self.settings.max_open_handoffs)

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
        return Privacy(self.uow, self.survey_engine, self.settings.default_language, self.texts,
                       self.settings.admin_ids)

    @cached_property
    def staff(self) -> StaffService:
        return StaffService(self.uow, self.surveys, self.current_qa, self.settings, self.teaching)
