"""Numbers for `/stats` and `/chart`: survey completion and answer distributions, Q&A demand and quality.

Per-question numbers count the answers of *completed* responses only — the same responses that
`/responses` shows and `/export` writes, so the three never disagree. "Started" counts every response
(in progress, completed, cancelled).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.db.models import as_utc, utcnow
from bot.surveys.schema import UNSURE, Question, Survey
from bot.vocabulary import ANSWERED, FALLBACK, ResponseStatus, survey_is_open

from .repositories import StaffRepository

QA_WINDOWS = (7, 30)  # days
TOPICS_WINDOW = 30
TOP_TOPICS = 10


@dataclass
class QuestionStats:
    question: Question
    answered: int = 0  # answers given (not skipped) in completed responses
    skipped: int = 0
    respondents: int = 0  # completed responses that reached the question (answered + skipped)
    # scale: value -> count (every scale point present); single/multi: choice id -> count (every choice
    # present, definition order); yes_no: True/False -> count; plus "unsure" -> count ("hard to say", last)
    # when the question offers it. Text questions: empty. Mean and median are of the scale points only.
    distribution: dict[Any, int] = field(default_factory=dict)
    mean: float | None = None  # scale only
    median: float | None = None  # scale only

    @property
    def chartable(self) -> bool:
        return self.question.type != "text"


@dataclass
class SurveyStats:
    survey: Survey
    is_open: bool
    started: int
    completed: int
    in_progress: int
    cancelled: int
    median_seconds: float | None
    questions: list[QuestionStats]

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.started if self.started else None

    def question(self, question_id: str) -> QuestionStats | None:
        return next((stats for stats in self.questions if stats.question.id == question_id), None)


@dataclass
class QAWindow:
    days: int
    answered: int
    fallback: int

    @property
    def questions(self) -> int:
        return self.answered + self.fallback

    @property
    def answered_rate(self) -> float | None:
        return self.answered / self.questions if self.questions else None

    @property
    def fallback_rate(self) -> float | None:
        return self.fallback / self.questions if self.questions else None


@dataclass
class QAStats:
    windows: list[QAWindow]
    topics_days: int
    top_topics: list[tuple[str, int]]
    thumbs_up: int
    thumbs_down: int
    languages: dict[str, int]
    handoffs_open: int = 0  # questions for staff not answered yet
    handoffs_undelivered: int = 0  # ...of which no copy reached a staff chat (retried by the hand-off job)

    @property
    def helpfulness(self) -> float | None:
        rated = self.thumbs_up + self.thumbs_down
        return self.thumbs_up / rated if rated else None


def is_open(survey: Survey, states: dict[str, bool]) -> bool:
    """`bot.vocabulary.survey_is_open` with staff's switches as loaded by `SurveyRepository.states()`."""
    return survey_is_open(survey.open, states.get(survey.id))




def decode(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def _weighted_median(counts: Counter[int]) -> float | None:
    total = sum(counts.values())
    if not total:
        return None
    values = sorted(counts)

    def nth(position: int) -> int:  # 0-based position in the sorted expanded list
        seen = 0
        for value in values:
            seen += counts[value]
            if position < seen:
                return value
        raise IndexError(position)  # pragma: no cover

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def _question_stats(question: Question, values: Counter[Any], answered: int, skipped: int) -> QuestionStats:
    stats = QuestionStats(question, answered=answered, skipped=skipped, respondents=answered + skipped)
    if question.type == "scale":
        distribution: dict[Any, int] = {point: values.get(point, 0) for point in question.scale_points}
        for value, number in values.items():  # answers outside today's scale (the file changed) still count
            if isinstance(value, int) and value not in distribution:
                distribution[value] = number
        stats.distribution = dict(sorted(distribution.items()))
        numeric: Counter[int] = Counter({value: number for value, number in stats.distribution.items() if number})
        if question.unsure or values.get(UNSURE):
            stats.distribution[UNSURE] = values.get(UNSURE, 0)
        total = sum(numeric.values())
        if total:
            stats.mean = sum(value * number for value, number in numeric.items()) / total
            stats.median = _weighted_median(numeric)
    elif question.type in ("single", "multi"):
        distribution = {choice.id: values.get(choice.id, 0) for choice in question.choices}
        for value, number in values.items():  # a choice removed from the file since
            if value not in distribution:
                distribution[value] = number
        stats.distribution = distribution
    elif question.type == "yes_no":
        stats.distribution = {True: values.get(True, 0), False: values.get(False, 0)}
        if question.unsure or values.get(UNSURE):
            stats.distribution[UNSURE] = values.get(UNSURE, 0)
    return stats


async def survey_stats(repo: StaffRepository, survey: Survey, states: dict[str, bool], counts: dict[str, dict[str, int]]) -> SurveyStats:
    by_status = counts.get(survey.id, {})
    durations = [
        (as_utc(completed) - as_utc(started)).total_seconds() for started, completed in await repo.completion_times(survey.id)
    ]
    text_ids = [q.id for q in survey.questions if q.type == "text"]
    other_ids = [q.id for q in survey.questions if q.type != "text"]
    values: dict[str, Counter[Any]] = {q.id: Counter() for q in survey.questions}
    answered: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for question_id, raw, was_skipped, number in await repo.answer_value_counts(survey.id, other_ids):
        if was_skipped or raw is None:
            skipped[question_id] += number
            continue
        answered[question_id] += number
        value = decode(raw)
        if isinstance(value, list):  # multi: one count per chosen option
            for item in value:
                values[question_id][item] += number
        elif isinstance(value, (str, int, bool)):
            values[question_id][value] += number
    for question_id, was_skipped, number in await repo.answer_counts(survey.id, text_ids):
        (skipped if was_skipped else answered)[question_id] += number
    return SurveyStats(
        survey=survey,
        is_open=is_open(survey, states),
        started=sum(by_status.values()),
        completed=by_status.get(ResponseStatus.COMPLETED, 0),
        in_progress=by_status.get(ResponseStatus.IN_PROGRESS, 0),
        cancelled=by_status.get(ResponseStatus.CANCELLED, 0),
        median_seconds=statistics.median(durations) if durations else None,
        questions=[_question_stats(q, values[q.id], answered[q.id], skipped[q.id]) for q in survey.questions],
    )


async def all_survey_stats(repo: StaffRepository, surveys: dict[str, Survey]) -> list[SurveyStats]:
    states = await repo.survey_states()
    counts = await repo.response_counts()
    return [await survey_stats(repo, survey, states, counts) for survey in surveys.values()]


async def qa_stats(repo: StaffRepository, now: datetime | None = None) -> QAStats:
    now = now or utcnow()
    windows = []
    for days in QA_WINDOWS:
        outcomes = await repo.outcome_counts(now - timedelta(days=days))
        windows.append(
            QAWindow(
                days=days,
                answered=sum(outcomes.get(outcome, 0) for outcome in ANSWERED),
                fallback=sum(outcomes.get(outcome, 0) for outcome in FALLBACK),
            )
        )
    since = now - timedelta(days=TOPICS_WINDOW)
    ratings = await repo.rating_counts(since)
    handoffs_open, handoffs_undelivered = await repo.handoff_counts()
    return QAStats(
        windows=windows,
        topics_days=TOPICS_WINDOW,
        top_topics=await repo.top_topics(since, TOP_TOPICS),
        thumbs_up=ratings.get(1, 0),
        thumbs_down=ratings.get(-1, 0),
        languages=dict(sorted((await repo.language_counts(since)).items(), key=lambda item: (-item[1], item[0]))),
        handoffs_open=handoffs_open,
        handoffs_undelivered=handoffs_undelivered,
    )
