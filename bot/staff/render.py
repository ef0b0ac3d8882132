"""Staff messages as finished Telegram HTML blocks (texts from bot/locales/*/staff.yaml; everything inserted is
escaped). Handlers pack the blocks into messages under Telegram's limit with `bot.formatting.pack`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.db.models import as_utc
from bot.formatting import escape, escape_shortened, pack
from bot.i18n import Translator
from bot.surveys.schema import UNSURE, Question, Survey
from bot.teaching import ModelStatus
from bot.vocabulary import FALLBACK
from knowledge.loader import KnowledgeBase

from .export import ValueLabels, cell_value
from .repositories import StoredResponse, UnansweredQuestion
from .stats import QAStats, QuestionStats, SurveyStats

DIST_BAR = "▇"
DIST_WIDTH = 12  # characters of the longest distribution bar
MAX_LIST_TEXT = 300  # characters of a question shown in /unanswered (the whole text is in the database)
MAX_ANSWER_TEXT = 1500  # characters of one free-text answer shown in /responses


def decimal(value: float, language: str, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language in ("lv", "ru") else text


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def duration(seconds: float | None, texts: Translator, language: str) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds >= 86400:
        return texts(language, "staff.time.days", days=seconds // 86400, hours=seconds % 86400 // 3600)
    if seconds >= 3600:
        return texts(language, "staff.time.hours", hours=seconds // 3600, minutes=seconds % 3600 // 60)
    return texts(language, "staff.time.minutes", minutes=seconds // 60, seconds=seconds % 60)


def timestamp(moment: datetime | None) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "—"


def model_block(status: ModelStatus, knowledge_version: str, texts: Translator, language: str,
                now: datetime | None = None) -> str:
    """/stats: the NLU model's age, and whether a retraining with staff's latest examples runs or failed."""
    if not status.reachable:
        return texts(language, "staff.stats.model_down")
    if status.trained_at is None:
        line = texts(language, "staff.stats.model_unknown")
    else:
        age = max(0.0, ((now or datetime.now(UTC)) - status.trained_at).total_seconds())
        line = texts(language, "staff.stats.model", at=timestamp(status.trained_at), age=duration(age, texts, language))
    if status.knowledge is not None and not status.knows(knowledge_version):
        if status.training == "failed" and status.training_knowledge == knowledge_version:
            line += "\n" + texts(language, "staff.stats.model_failed")
        else:
            line += "\n" + texts(language, "staff.stats.model_training")
    return line


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def survey_list(surveys: dict[str, Survey]) -> str:
    return ", ".join(escape(survey_id) for survey_id in surveys) or "—"


def state_word(is_open: bool, texts: Translator, language: str) -> str:
    return texts(language, "staff.state.open" if is_open else "staff.state.closed")


# --- /stats ---------------------------------------------------------------------------------------------------


def _distribution(stats: QuestionStats, texts: Translator, language: str) -> list[str]:
    question = stats.question
    peak = max(stats.distribution.values(), default=0) or 1
    total = stats.answered or 1
    lines = []
    for key, count in stats.distribution.items():
        if key == UNSURE:
            label = texts(language, "staff.value_unsure")
        elif question.type == "yes_no":
            label = texts(language, "staff.value_yes" if key else "staff.value_no")
        elif question.type in ("single", "multi"):
            choice = question.choice(str(key))
            label = choice.label.get(language) if choice else str(key)
        else:
            label = str(key)
        bar = DIST_BAR * round(DIST_WIDTH * count / peak) if count else ""
        lines.append(f"  {escape_shortened(label, 40)}: {bar} {count} ({count / total:.0%})")
    return lines


def question_stats_lines(number: int, stats: QuestionStats, texts: Translator, language: str) -> list[str]:
    question = stats.question
    title = escape_shortened(question.text.get(language), 120)
    values: dict[str, Any] = {"n": number, "text": title, "count": stats.answered}
    if question.type == "scale":
        head = texts(
            language,
            "staff.stats.scale",
            **values,
            mean=decimal(stats.mean, language, 2) if stats.mean is not None else "—",
            median=decimal(stats.median, language, 1) if stats.median is not None else "—",
        )
    elif question.type == "text":
        head = texts(language, "staff.stats.text", **values)
    else:
        head = texts(language, "staff.stats.choices", **values)
    if stats.skipped:
        head += texts(language, "staff.stats.skipped", skipped=stats.skipped)
    lines = [head]
    if question.type != "text":
        lines += _distribution(stats, texts, language)
    return lines


def survey_stats_blocks(stats: SurveyStats, texts: Translator, language: str) -> list[str]:
    survey = stats.survey
    head = "\n".join(
        [
            texts(
                language,
                "staff.stats.survey",
                title=escape(survey.title.get(language)),
                survey=escape(survey.id),
                state=state_word(stats.is_open, texts, language),
            ),
            texts(
                language,
                "staff.stats.counts",
                started=stats.started,
                completed=stats.completed,
                rate=percent(stats.completion_rate),
                in_progress=stats.in_progress,
                cancelled=stats.cancelled,
            ),
            texts(language, "staff.stats.median_time", time=duration(stats.median_seconds, texts, language)),
        ]
    )
    blocks = [head]
    for number, question_stats in enumerate(stats.questions, start=1):
        # Each line is short (texts shortened before escaping); a question with very many choices becomes
        # several blocks, split between lines — finished HTML is never sliced.
        blocks += pack(question_stats_lines(number, question_stats, texts, language), separator="\n")
    return blocks


def qa_stats_block(stats: QAStats, kb: KnowledgeBase, texts: Translator, language: str) -> str:
    lines = [texts(language, "staff.stats.qa_title")]
    for window in stats.windows:
        lines.append(
            texts(
                language,
                "staff.stats.qa_window",
                days=window.days,
                questions=window.questions,
                answered=window.answered,
                answered_rate=percent(window.answered_rate),
                fallback=window.fallback,
                fallback_rate=percent(window.fallback_rate),
            )
        )
    if stats.top_topics:
        lines.append(texts(language, "staff.stats.topics", days=stats.topics_days))
        for number, (entry_id, count) in enumerate(stats.top_topics, start=1):
            entry = kb.entry(entry_id)
            title = entry.title.get(language) if entry else entry_id
            lines.append(f"  {number}. {escape(title)} — {count}")
    else:
        lines.append(texts(language, "staff.stats.no_topics", days=stats.topics_days))
    lines.append(
        texts(
            language,
            "staff.stats.helpfulness",
            days=stats.topics_days,
            up=stats.thumbs_up,
            down=stats.thumbs_down,
            rate=percent(stats.helpfulness),
        )
    )
    languages = ", ".join(f"{escape(code)} {count}" for code, count in stats.languages.items()) or "—"
    lines.append(texts(language, "staff.stats.languages", days=stats.topics_days, languages=languages))
    lines.append(texts(language, "staff.stats.handoffs", open=stats.handoffs_open,
                       undelivered=stats.handoffs_undelivered))
    return "\n".join(lines)


# --- /responses ------------------------------------------------------------------------------------------------


def answer_text(question: Question, raw: str | None, skipped: bool, texts: Translator, language: str) -> str:
    labels = ValueLabels(language, texts(language, "staff.value_yes"), texts(language, "staff.value_no"),
                         texts(language, "staff.value_unsure"))
    value = cell_value(question, raw, skipped, labels)
    if value is None:
        return texts(language, "staff.responses.skipped")
    return str(value)


def response_blocks(survey: Survey, response: StoredResponse, texts: Translator, language: str) -> list[str]:
    """One response as blocks: a header and one block per answer (long text answers cut safely)."""
    who = texts(language, "staff.responses.anonymous" if response.anonymous else "staff.responses.named")
    lines = [
        texts(
            language,
            "staff.responses.item",
            id=response.id,
            completed=timestamp(response.completed_at),
            lang=escape(response.language),
            who=who,
        )
    ]
    for question in survey.questions:
        raw, skipped = response.answers.get(question.id, (None, True))
        # Shortened *before* escaping, to a length counted in escaped characters: 1,000 "&" are 5,000 escaped.
        answer = escape_shortened(answer_text(question, raw, skipped, texts, language), MAX_ANSWER_TEXT)
        lines.append(f"<i>{escape_shortened(question.text.get(language), 200)}</i>\n{answer}")
    return pack(lines, separator="\n")


# --- /unanswered -------------------------------------------------------------------------------------------------


def unanswered_block(item: UnansweredQuestion, kb: KnowledgeBase, texts: Translator, language: str) -> str:
    if item.rating is not None and item.rating < 0:
        reason = texts(language, "staff.unanswered.reason_down")
    elif item.outcome in FALLBACK:
        reason = texts(language, f"staff.unanswered.reason_{item.outcome}")
    else:
        reason = escape(item.outcome)
    guess_id = item.entry_id if item.rating is not None and item.entry_id else item.intent
    if guess_id:
        entry = kb.entry(guess_id)
        guess = f"{escape(entry.title.get(language))} ({escape(guess_id)})" if entry else escape(guess_id)
        confidence = decimal(item.confidence, language, 2)
    else:
        guess = texts(language, "staff.unanswered.no_guess")
        confidence = "—"
    return texts(
        language,
        "staff.unanswered.item",
        id=item.id,
        date=timestamp(item.created_at),
        lang=escape(item.language),
        reason=reason,
        text=escape_shortened(item.text, MAX_LIST_TEXT),
        guess=guess,
        confidence=confidence,
    )
