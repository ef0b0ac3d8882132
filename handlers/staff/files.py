"""/export and /chart: files made in a task of their own, so the bot keeps answering everyone else meanwhile
(PTB handles updates one at a time); errors still reach the error handler with this update."""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import InputFile, Message, Update
from telegram.ext import ContextTypes

from bot.db.models import utcnow
from bot.formatting import escape, escape_shortened
from bot.staff.export import FORMATS, ValueLabels, export_filename
from bot.staff.stats import QuestionStats
from bot.surveys.schema import Survey

from ..common import chat_id, quietly, send_html, services
from .access import staff_only
from .reports import survey_arg, usage

log = logging.getLogger(__name__)

MAX_CHARTS = 12
PROGRESS_INTERVAL = 2.0  # seconds between edits of the export status message (Telegram rate limits)


@staff_only("export")
async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, args: list[str]) -> None:
    """/export <survey> [csv|xlsx] — the file, with a status message that shows progress."""
    svc = services(context)
    survey = svc.surveys.get(args[0]) if args else None
    fmt = args[1].lower() if len(args) > 1 else "csv"
    if survey is None or fmt not in FORMATS:
        await usage(update, context, language, "export", args if survey is None else [])
        return
    title = escape(survey.title.get(language))
    status = await context.bot.send_message(chat_id(update), svc.texts(language, "staff.export.started", title=title,
                                                                        format=fmt.upper()))
    context.application.create_task(
        _export_and_send(update, context, survey, fmt, language, status), update=update, name=f"export:{survey.id}"
    )


async def _export_and_send(
    update: Update, context: ContextTypes.DEFAULT_TYPE, survey: Survey, fmt: str, language: str, status: Message
) -> None:
    svc = services(context)
    title = escape(survey.title.get(language))
    last_edit = time.monotonic()

    async def progress(done: int, total: int) -> None:
        nonlocal last_edit
        if done == 0 or done >= total or time.monotonic() - last_edit < PROGRESS_INTERVAL:
            return
        last_edit = time.monotonic()
        text = svc.texts(language, "staff.export.progress", title=title, format=fmt.upper(), done=done, total=total)
        # Called while the export's transaction is open: the edit runs in a task of its own, not awaited here.
        context.application.create_task(quietly(status.edit_text(text)), update=update)

    labels = ValueLabels(language, svc.texts(language, "staff.value_yes"), svc.texts(language, "staff.value_no"),
                         svc.texts(language, "staff.value_unsure"))
    try:
        result = await svc.staff.export(survey, fmt, labels, progress)
    except Exception:
        log.exception("export of %s failed", survey.id)
        await quietly(status.edit_text(svc.texts(language, "staff.export.failed")))
        return
    try:
        with result.path.open("rb") as handle:
            await context.bot.send_document(
                chat_id(update),
                document=InputFile(handle, filename=export_filename(survey, fmt, utcnow())),
                caption=svc.texts(language, "staff.export.caption", title=title, rows=result.rows, format=fmt.upper()),
            )
    finally:
        result.path.unlink(missing_ok=True)
    await quietly(status.edit_text(svc.texts(language, "staff.export.done", rows=result.rows,
                                             seconds=f"{result.seconds:.1f}")))


@staff_only("chart")
async def chart_command(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, args: list[str]) -> None:
    """/chart <survey> [question] — a PNG bar chart per question (all chartable questions if none given)."""
    svc = services(context)
    survey = await survey_arg(update, context, language, "chart", args)
    if survey is None:
        return
    stats = await svc.staff.survey_stats(survey)
    selected = stats.questions
    if len(args) > 1:
        one = stats.question(args[1])
        if one is None:
            questions = ", ".join(escape(q.id) for q in survey.questions)
            await send_html(update, context, [svc.texts(language, "staff.unknown_question", question=escape(args[1]),
                                                        questions=questions)])
            return
        selected = [one]
    if len(selected) == 1 and not selected[0].chartable:
        text = svc.texts(language, "staff.chart.text_question",
                         question=escape_shortened(selected[0].question.text.get(language), 1000), count=selected[0].answered)
        await send_html(update, context, [text])
        return
    charts = [question_stats for question_stats in selected if question_stats.chartable][:MAX_CHARTS]
    if not charts:
        await send_html(update, context, [svc.texts(language, "staff.chart.none")])
        return
    # Drawing takes a few tenths of a second per chart: a task of its own, like an export.
    context.application.create_task(_draw_and_send(update, context, survey, charts, language), update=update,
                                    name=f"chart:{survey.id}")


async def _draw_and_send(
    update: Update, context: ContextTypes.DEFAULT_TYPE, survey: Survey, charts: list[QuestionStats], language: str
) -> None:
    from bot.staff.charts import ChartTexts, question_chart_png  # matplotlib loads only when needed

    svc = services(context)
    texts = ChartTexts(
        language=language,
        yes=svc.texts(language, "staff.value_yes").capitalize(),
        no=svc.texts(language, "staff.value_no").capitalize(),
        unsure=svc.texts(language, "staff.value_unsure").capitalize(),
        note=svc.texts(language, "staff.chart.note", n="{n}"),
    )
    for question_stats in charts:
        question_text = question_stats.question.text.get(language)
        png = await asyncio.to_thread(question_chart_png, question_stats, texts)
        caption = svc.texts(language, "staff.chart.caption", title=escape(survey.title.get(language)),
                            question=escape_shortened(question_text, 800))
        await context.bot.send_photo(
            chat_id(update),
            photo=InputFile(png or b"", filename=f"{survey.id}-{question_stats.question.id}.png"),
            caption=caption,
        )
