"""Seed data for the staff-review tests: a survey with every question type and a known set of responses,
and a known set of Q&A questions and ratings, so every number `/stats` shows can be checked by hand."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import build_services
from bot.config import Settings
from bot.db.database import create_engine, create_session_factory, migrate
from bot.db.models import Question, Rating, SurveyAnswer, SurveyResponse
from bot.services import Services
from bot.surveys.schema import Survey, load_survey
from bot.uow import uow_factory

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

TRICKY_TEXT = '=SUM(A1) <b>bold</b> & "quoted", comma\nnew line'
CYRILLIC_TEXT = "Кириллица и latviešu burti: ā č ē ģ ī ķ ļ ņ š ū ž"

# (status, language, anonymous, seconds to complete, answers); answers: question id -> value, or None = skipped.
RESPONSES: list[tuple[str, str, bool, int, dict[str, Any]]] = [
    ("completed", "lv", False, 60,
     {"overall": 5, "area": "culture", "gains": ["skills", "contacts"], "again": True, "comment": "Ļoti patika, paldies!"}),
    ("completed", "ru", True, 120,
     {"overall": 4, "area": "education", "gains": ["contacts"], "again": True, "comment": None}),
    ("completed", "en", False, 300,
     {"overall": 2, "area": "culture", "gains": ["understanding"], "again": False, "comment": TRICKY_TEXT}),
    ("completed", "lv", True, 180,
     {"overall": 5, "area": "engagement", "gains": ["skills"], "again": True, "comment": CYRILLIC_TEXT}),
    ("in_progress", "lv", False, 0, {"overall": 3}),
    ("cancelled", "en", False, 0, {"overall": 1, "area": "education"}),
]


def demo_survey() -> Survey:
    return load_survey(FIXTURES / "surveys" / "staff_demo.yaml")


async def seed_survey(uow, survey_id: str = "staff_demo", responses=RESPONSES, user_base: int = 7000) -> list[int]:
    ids = []
    for number, (status, language, anonymous, seconds, answers) in enumerate(responses):
        started = START + timedelta(hours=number)
        response = SurveyResponse(
            survey_id=survey_id,
            user_id=None if anonymous else user_base + number,
            respondent_key=f"key-{survey_id}-{number}",
            anonymous=anonymous,
            language=language,
            status=status,
            started_at=started,
            completed_at=started + timedelta(seconds=seconds) if status == "completed" else None,
        )
        uow.session.add(response)
        await uow.flush()
        for question_id, value in answers.items():
            uow.session.add(
                SurveyAnswer(
                    response_id=response.id,
                    question_id=question_id,
                    value=None if value is None else json.dumps(value, ensure_ascii=False),
                    skipped=value is None,
                    answered_at=started,
                )
            )
        ids.append(response.id)
    return ids


# (days ago, outcome, engine, language, intent, confidence, entry id, rating)
QUESTIONS: list[tuple[float, str, str, str, str | None, float, str | None, int | None]] = [
    (1, "answer", "lexical", "lv", "fact_budget", 0.91, "fact_budget", 1),
    (2, "answer", "rasa", "en", "fact_budget", 0.88, "fact_budget", -1),
    (3, "chosen", "rasa", "ru", "fact_period", 0.41, "fact_period", 1),
    (5, "clarify", "rasa", "lv", "results_overview", 0.37, None, None),
    (10, "out_of_scope", "lexical", "lv", "out_of_scope", 0.72, None, None),
    (20, "none_fit", "rasa", "en", "results_art", 0.33, None, None),
    (1, "browse", "browse", "lv", "fact_period", 1.0, "fact_period", None),
    (1, "greet", "rasa", "lv", "greet", 0.99, None, None),
    (1, "handoff", "none", "lv", None, 0.0, None, None),
    (40, "answer", "rasa", "lv", "fact_partners", 0.95, "fact_partners", 1),
]

QUESTION_TEXTS = {
    "clarify": "kādi bija rezultāti jauniešiem laukos",
    "out_of_scope": "Kad būs nākamais konkurss <skolām>?",
    "none_fit": "what about grants for sports clubs",
}


async def seed_questions(uow, now: datetime = NOW, user_id: int = 5001) -> dict[str, int]:
    ids: dict[str, int] = {}
    for number, (days, outcome, engine, language, intent, confidence, entry_id, rating) in enumerate(QUESTIONS):
        text = QUESTION_TEXTS.get(outcome, f"question {number} ({outcome})")
        question = Question(
            user_id=user_id, chat_id=user_id, text=text, language=language, intent=intent, confidence=confidence,
            engine=engine, outcome=outcome, entry_id=entry_id, created_at=now - timedelta(days=days),
        )
        uow.session.add(question)
        await uow.flush()
        if rating is not None:
            uow.session.add(Rating(question_id=question.id, user_id=user_id, entry_id=entry_id, value=rating))
        ids.setdefault(outcome, question.id)
        if rating == -1:
            ids["rated_down"] = question.id
    return ids


async def open_database(path: Path):
    """A migrated SQLite database and its unit-of-work factory (no knowledge base, no NLU: fast)."""
    from bot.db.database import create_engine, create_session_factory, migrate
    from bot.uow import uow_factory

    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await migrate(engine)
    return engine, uow_factory(create_session_factory(engine))


def build_shared_services(tmp_path_factory: Any) -> Services:
    """The expensive, read-only part of the services (knowledge base, matcher, language detector, texts), built
    once for a test module; each test puts a fresh database under it with `on_fresh_database`."""
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('base')}/base.db",
                        nlu_url="http://127.0.0.1:9", admin_ids="1001")

    async def build() -> Services:
        built = await build_services(settings, use_nlu=False)
        assert built.engine is not None
        await built.engine.dispose()
        return built

    return asyncio.run(build())


@contextlib.asynccontextmanager
async def on_fresh_database(shared: Services, settings: Settings, **changes: Any) -> AsyncIterator[Services]:
    """`shared` over a freshly migrated database of `settings` (and any other field `changes`)."""
    engine = create_engine(settings.database_url)
    await migrate(engine)
    try:
        yield dataclasses.replace(shared, settings=settings, uow=uow_factory(create_session_factory(engine)),
                                  engine=engine, **changes)
    finally:
        await engine.dispose()
