"""Staff use cases: each owns its unit of work and writes its audit row there. No Telegram.

The role check is the caller's (`handlers/staff/access.py`): these functions trust `admin_id` to be staff.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

from bot.accounts import preferred_language
from bot.config import Settings
from bot.qa import QAProvider
from bot.surveys.schema import Survey
from bot.teaching import ModelStatus, Teaching
from bot.uow import UnitOfWork, UnitOfWorkFactory

from . import kb_editor
from .export import ExportResult, Progress, ValueLabels, export_survey
from .repositories import StoredResponse, UnansweredQuestion
from .stats import QAStats, SurveyStats, all_survey_stats, is_open, qa_stats, survey_stats

RESPONSES_PAGE = 5
MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class ResponsesPage:
    total: int  # responses shown in all pages (at most what was asked for)
    page: int
    pages: int
    offset: int
    responses: list[StoredResponse]


@dataclass(frozen=True)
class SurveyOverview:
    survey: Survey
    is_open: bool
    counts: dict[str, int]  # status -> responses


@dataclass(frozen=True)
class Assigned:
    question: UnansweredQuestion
    added: kb_editor.AddedExample | None
    error: str | None
    refused: tuple[str, ...] = ()  # kb_editor.identifying_details: not copied, the admin must edit it by hand
    reloaded: bool = False  # the bot answers from the edited knowledge base already
    retrains: bool = False  # an NLU server is configured: its gateway retrains, the admin is told when it answers


class StaffService:
    def __init__(
        self, uow: UnitOfWorkFactory, surveys: dict[str, Survey], qa: QAProvider, settings: Settings,
        teaching: Teaching,
    ) -> None:
        self._uow = uow
        self.surveys = surveys
        self._qa = qa
        self._teaching = teaching
        self._settings = settings
        self._default_language = settings.default_language

    async def begin(self, admin_id: int, telegram_code: str | None, action: str, **details: Any) -> str:
        """A staff command: its audit row (the attempt is what is audited) and the admin's reply language."""
        async with self._uow() as uow:
            language = preferred_language(await uow.users.get(admin_id), telegram_code, self._default_language)
            uow.audit.record(admin_id, action, **details)
            await uow.commit()
        return language

    async def stats(
        self, selected: dict[str, Survey], with_qa: bool
    ) -> tuple[list[SurveyStats], QAStats | None, ModelStatus | None]:
        """Survey numbers; with `with_qa` also the Q&A numbers and the NLU model's status (its age)."""
        async with self._uow() as uow:
            surveys = await all_survey_stats(uow.staff, selected) if selected else []
            qa = await qa_stats(uow.staff) if with_qa else None
        return surveys, qa, await self._teaching.model_status() if with_qa else None

    async def survey_stats(self, survey: Survey) -> SurveyStats:
        async with self._uow() as uow:
            return await survey_stats(uow.staff, survey, await uow.staff.survey_states(),
                                      await uow.staff.response_counts())

    async def responses_page(
        self, survey: Survey, wanted: int, page: int, admin_id: int | None = None
    ) -> ResponsesPage:
        """A page of the last `wanted` completed responses; audited when `admin_id` is given (a page button)."""
        async with self._uow() as uow:
            page_data = await self._responses_page(uow, survey, wanted, page)
            if admin_id is not None:
                uow.audit.record(admin_id, "responses", survey=survey.id, n=wanted, page=page)
                await uow.commit()
        return page_data

    @staticmethod
    async def _responses_page(uow: UnitOfWork, survey: Survey, wanted: int, page: int) -> ResponsesPage:
        total = min(wanted, await uow.staff.count_completed(survey.id))
        if total == 0:
            return ResponsesPage(0, 0, 0, 0, [])
        pages = math.ceil(total / RESPONSES_PAGE)
        page = max(0, min(page, pages - 1))
        offset = page * RESPONSES_PAGE
        responses = await uow.staff.latest_completed(survey.id, offset, min(RESPONSES_PAGE, total - offset))
        return ResponsesPage(total, page, pages, offset, responses)

    async def export(self, survey: Survey, fmt: str, labels: ValueLabels, progress: Progress) -> ExportResult:
        async with self._uow() as uow:
            return await export_survey(uow.staff, survey, fmt, labels, progress=progress)

    async def unanswered(self, limit: int) -> list[UnansweredQuestion]:
        async with self._uow() as uow:
            return await uow.staff.unanswered(limit)

    async def suggest(self, admin_id: int, question_id: int, **details: Any) -> UnansweredQuestion | None:
        """➕ on a question (or a category to browse for it): the question, audited. None: it is gone."""
        async with self._uow() as uow:
            question = await uow.staff.question(question_id)
            if question is None:
                return None
            uow.audit.record(admin_id, "kb_suggest", question_id=question.id, **details)
            await uow.commit()
        return question

    async def candidates(self, question: UnansweredQuestion) -> list[str]:
        """The entries a question most likely belongs to: what it was answered with, then the classifier's ranking."""
        qa = self._qa()
        kb = qa.kb
        candidates: list[str] = []
        if question.entry_id and kb.entry(question.entry_id):
            candidates.append(question.entry_id)
        if question.intent and kb.entry(question.intent):
            candidates.append(question.intent)
        ranking = await qa.rank(question.text)
        candidates += [score.intent for score in ranking if kb.entry(score.intent) is not None]
        return list(dict.fromkeys(candidates))[:MAX_SUGGESTIONS]

    async def assign(self, admin_id: int, question_id: int, intent: str, language: str = "lv") -> Assigned | None:
        """Add the question's text as an example of `intent` in the knowledge-base file, then reload the knowledge
        base in place (`bot.teaching`); the NLU gateway retrains and the admin (`language`) is told when the new
        model answers."""
        async with self._uow() as uow:
            question = await uow.staff.question(question_id)
            if question is None:
                return None
            refused = tuple(kb_editor.identifying_details(question.text))
            if refused:  # digits, @handles, e-mail addresses, phone numbers: never copied without a person's edit
                uow.audit.record(admin_id, "kb_example", question_id=question.id, intent=intent,
                                 language=question.language, ok=False, refused=list(refused))
                await uow.commit()
                return Assigned(question, None, None, refused)
            try:
                added = await asyncio.to_thread(
                    kb_editor.add_example, self._settings.knowledge_dir, intent, question.language, question.text
                )
                error = None
            except kb_editor.KbEditError as exc:
                added, error = None, str(exc)
            uow.audit.record(admin_id, "kb_example", question_id=question.id, intent=intent,
                             language=question.language, ok=added is not None, error=error)
            await uow.commit()
        reloaded = added is not None and await self._teaching.taught(admin_id, language)
        return Assigned(question, added, error, reloaded=reloaded, retrains=self._teaching.retrains)

    async def overview(self) -> list[SurveyOverview]:
        async with self._uow() as uow:
            return await self._overview(uow)

    async def _overview(self, uow: UnitOfWork) -> list[SurveyOverview]:
        states = await uow.staff.survey_states()
        counts = await uow.staff.response_counts()
        return [SurveyOverview(survey, is_open(survey, states), counts.get(survey.id, {}))
                for survey in self.surveys.values()]

    async def set_state(self, admin_id: int, survey: Survey, open_now: bool) -> list[SurveyOverview]:
        """Open or close a survey (staff's switch), audited; returns the overview after the change."""
        async with self._uow() as uow:
            await uow.surveys.set_state(survey.id, open_now, updated_by=admin_id)
            uow.audit.record(admin_id, "survey_state", survey=survey.id, open=open_now)
            await uow.flush()
            overview = await self._overview(uow)
            await uow.commit()
        return overview
