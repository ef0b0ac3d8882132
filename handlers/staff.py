"""Staff commands and buttons: /stats, /responses, /export, /chart, /unanswered, /surveys, and their `adm:` buttons.

The role check is on the server, in every command and every button (`staff_only`, `on_callback`): staff are
the user ids in ADMIN_IDS. Anyone else gets exactly what an unknown command or a stale button gets — the
same reply, nothing read about surveys or other users, nothing written — whatever the arguments or the
(possibly forged) callback data. Every staff action writes an audit row in the unit of work of the action.
Staff commands work in private chats only (a group's members are not necessarily staff).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.db.models import utcnow
from bot.formatting import escape, pack
from bot.staff import kb_editor
from bot.staff.export import FORMATS, ValueLabels, export_filename, export_survey
from bot.staff.render import (
    qa_stats_block,
    response_blocks,
    shorten,
    state_word,
    survey_list,
    survey_stats_blocks,
    unanswered_block,
)
from bot.staff.stats import all_survey_stats, is_open, qa_stats, survey_stats
from bot.surveys.schema import Survey

from . import commands, qa
from .common import send_html, services, user_language

log = logging.getLogger(__name__)

CALLBACK_PREFIX = "adm:"
RESPONSES_DEFAULT, RESPONSES_MAX, RESPONSES_PAGE = 10, 100, 5
UNANSWERED_DEFAULT, UNANSWERED_MAX = 10, 30
MAX_SUGGESTIONS = 5
MAX_CHARTS = 12
PROGRESS_INTERVAL = 2.0  # seconds between edits of the export status message (Telegram rate limits)
MAX_AUDITED_ARG = 64

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def is_staff(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and user.id in services(context).settings.admin_ids


def staff_only(handler: Handler) -> Handler:
    """A staff command: for anyone else, exactly the unknown-command reply (nothing else read or written)."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not is_staff(update, context):
            user = update.effective_user
            log.info("non-staff user %s tried a staff command", user.id if user else None)
            await commands.unknown_command(update, context)
            return
        await handler(update, context)

    return wrapper


def _args(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    return [arg[:MAX_AUDITED_ARG] for arg in (context.args or [])]


def _count(value: str | None, default: int, maximum: int) -> int:
    if value is None or not (value.isascii() and value.isdigit()):
        return default
    return max(1, min(int(value), maximum))


def _surveys(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Survey]:
    return services(context).surveys


# --- callback data ---------------------------------------------------------------------------------------------

_ID = r"[a-z][a-z0-9_]{0,39}"
_PATTERNS = {
    "responses": re.compile(rf"^adm:r:({_ID}):(\d{{1,3}}):(\d{{1,2}})$"),
    "state": re.compile(rf"^adm:s:({_ID}):([01])$"),
    "suggest": re.compile(r"^adm:u:(\d{1,12})(:e)?$"),
    "category": re.compile(rf"^adm:uc:(\d{{1,12}}):({_ID})$"),
    "assign": re.compile(rf"^adm:a:(\d{{1,12}}):({_ID})$"),
}


@dataclass(frozen=True)
class StaffCallback:
    verb: str
    args: tuple[str | None, ...]


def parse(data: str | None) -> StaffCallback | None:
    if not data or len(data.encode()) > 64:
        return None
    for verb, pattern in _PATTERNS.items():
        match = pattern.fullmatch(data)  # fullmatch: not even a trailing newline is accepted
        if match:
            return StaffCallback(verb, match.groups())
    return None


def _button(text: str, data: str) -> InlineKeyboardButton:
    assert len(data.encode()) <= 64 and parse(data) is not None, data
    return InlineKeyboardButton(text, callback_data=data)


# --- /stats -----------------------------------------------------------------------------------------------------


@staff_only
async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats — every survey and Q&A; /stats <survey> — that survey only."""
    svc = services(context)
    surveys = _surveys(context)
    args = _args(context)
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        selected = surveys
        if args:
            survey = surveys.get(args[0])
            selected = {survey.id: survey} if survey else {}
        survey_stats_list = await all_survey_stats(uow.staff, selected) if selected else []
        qa_numbers = await qa_stats(uow.staff) if not args else None
        uow.audit.record(update.effective_user.id, "stats", args=args)
        await uow.commit()
    if args and not selected:
        await send_html(update, context, [svc.texts(language, "staff.unknown_survey", survey=escape(args[0]), surveys=survey_list(surveys))])
        return
    blocks: list[str] = []
    if qa_numbers is not None:
        blocks.append(qa_stats_block(qa_numbers, svc.kb, svc.texts, language))
    for stats in survey_stats_list:
        blocks += survey_stats_blocks(stats, svc.texts, language)
    if not survey_stats_list and not args:
        blocks.append(svc.texts(language, "staff.stats.no_surveys"))
    await send_html(update, context, pack(blocks))


# --- /responses --------------------------------------------------------------------------------------------------


async def _responses_page(
    uow, context: ContextTypes.DEFAULT_TYPE, survey: Survey, wanted: int, page: int, language: str
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    svc = services(context)
    total = min(wanted, await uow.staff.count_completed(survey.id))
    title = escape(survey.title.get(language))
    if total == 0:
        return [svc.texts(language, "staff.responses.none", title=title)], None
    pages = math.ceil(total / RESPONSES_PAGE)
    page = max(0, min(page, pages - 1))
    offset = page * RESPONSES_PAGE
    responses = await uow.staff.latest_completed(survey.id, offset, min(RESPONSES_PAGE, total - offset))
    blocks = [
        svc.texts(language, "staff.responses.header", title=title, first=offset + 1, last=offset + len(responses), total=total)
    ]
    for response in responses:
        blocks += response_blocks(survey, response, svc.texts, language)
    row = []
    if page > 0:
        row.append(_button(svc.texts(language, "staff.responses.prev"), f"adm:r:{survey.id}:{wanted}:{page - 1}"))
    if page < pages - 1:
        row.append(_button(svc.texts(language, "staff.responses.next"), f"adm:r:{survey.id}:{wanted}:{page + 1}"))
    return pack(blocks), InlineKeyboardMarkup([row]) if row else None


@staff_only
async def responses_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/responses <survey> [N] — the last N completed responses, RESPONSES_PAGE per page."""
    svc = services(context)
    surveys = _surveys(context)
    args = _args(context)
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        survey = surveys.get(args[0]) if args else None
        wanted = _count(args[1] if len(args) > 1 else None, RESPONSES_DEFAULT, RESPONSES_MAX)
        messages, keyboard = (
            await _responses_page(uow, context, survey, wanted, 0, language) if survey is not None else ([], None)
        )
        uow.audit.record(update.effective_user.id, "responses", args=args)
        await uow.commit()
    if survey is None:
        await _usage(update, context, language, "responses", args)
        return
    await send_html(update, context, messages, keyboard)


async def on_responses_page(update: Update, context: ContextTypes.DEFAULT_TYPE, survey_id: str, wanted: str, page: str) -> None:
    svc = services(context)
    survey = _surveys(context).get(survey_id)
    query = update.callback_query
    if survey is None or not 1 <= int(wanted) <= RESPONSES_MAX:
        await qa.stale(update, context)
        return
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        messages, keyboard = await _responses_page(uow, context, survey, int(wanted), int(page), language)
        uow.audit.record(update.effective_user.id, "responses", survey=survey.id, n=int(wanted), page=int(page))
        await uow.commit()
    await query.answer()
    if len(messages) == 1:
        await _edit(query, messages[0], keyboard)
    else:  # a page too long for one message: send it anew, keep the old one without buttons
        await query.edit_message_reply_markup(None)
        await send_html(update, context, messages, keyboard)


async def _edit(query, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as exc:  # pressing a button whose result is already shown
        if "not modified" not in str(exc).lower():
            raise


async def _usage(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, command: str, args: list[str]) -> None:
    svc = services(context)
    surveys = _surveys(context)
    if args:
        text = svc.texts(language, "staff.unknown_survey", survey=escape(args[0]), surveys=survey_list(surveys))
    else:
        text = svc.texts(language, f"staff.usage.{command}", surveys=survey_list(surveys))
    await send_html(update, context, [text])


# --- /export ---------------------------------------------------------------------------------------------------


@staff_only
async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export <survey> [csv|xlsx] — the file, with a status message that shows progress."""
    svc = services(context)
    surveys = _surveys(context)
    args = _args(context)
    chat_id = update.effective_chat.id
    survey = surveys.get(args[0]) if args else None
    fmt = args[1].lower() if len(args) > 1 else "csv"
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        uow.audit.record(update.effective_user.id, "export", args=args)
        await uow.commit()  # recorded before the (long) export: the attempt is what is audited
        if survey is None or fmt not in FORMATS:
            await _usage(update, context, language, "export", args if survey is None else [])
            return
    title = escape(survey.title.get(language))
    status = await context.bot.send_message(chat_id, svc.texts(language, "staff.export.started", title=title, format=fmt.upper()))
    # The export itself runs as a task of its own, so the bot keeps answering everyone else meanwhile
    # (PTB handles updates one at a time); errors still reach the error handler with this update.
    context.application.create_task(
        _export_and_send(update, context, survey, fmt, language, status), update=update, name=f"export:{survey.id}"
    )


async def _export_and_send(
    update: Update, context: ContextTypes.DEFAULT_TYPE, survey: Survey, fmt: str, language: str, status
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
        try:
            await status.edit_text(text)
        except BadRequest:
            pass  # e.g. "message is not modified": progress is best effort

    labels = ValueLabels(language, svc.texts(language, "staff.value_yes"), svc.texts(language, "staff.value_no"),
                         svc.texts(language, "staff.value_unsure"))
    async with svc.uow() as uow:
        try:
            result = await export_survey(uow.session, survey, fmt, labels, progress=progress)
        except Exception:
            log.exception("export of %s failed", survey.id)
            await status.edit_text(svc.texts(language, "staff.export.failed"))
            return
    try:
        with result.path.open("rb") as handle:
            await context.bot.send_document(
                update.effective_chat.id,
                document=InputFile(handle, filename=export_filename(survey, fmt, utcnow())),
                caption=svc.texts(language, "staff.export.caption", title=title, rows=result.rows, format=fmt.upper()),
            )
    finally:
        result.path.unlink(missing_ok=True)
    await status.edit_text(svc.texts(language, "staff.export.done", rows=result.rows, seconds=f"{result.seconds:.1f}"))


# --- /chart ----------------------------------------------------------------------------------------------------


@staff_only
async def chart_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/chart <survey> [question] — a PNG bar chart per question (all chartable questions if none given)."""
    svc = services(context)
    surveys = _surveys(context)
    args = _args(context)
    survey = surveys.get(args[0]) if args else None
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        stats = (
            await survey_stats(uow.staff, survey, await uow.staff.survey_states(), await uow.staff.response_counts())
            if survey is not None
            else None
        )
        uow.audit.record(update.effective_user.id, "chart", args=args)
        await uow.commit()
    if survey is None or stats is None:
        await _usage(update, context, language, "chart", args)
        return
    selected = stats.questions
    if len(args) > 1:
        one = stats.question(args[1])
        if one is None:
            questions = ", ".join(escape(q.id) for q in survey.questions)
            await send_html(update, context, [svc.texts(language, "staff.unknown_question", question=escape(args[1]), questions=questions)])
            return
        selected = [one]
    if len(selected) == 1 and not selected[0].chartable:
        text = svc.texts(language, "staff.chart.text_question",
                         question=escape(selected[0].question.text.get(language)), count=selected[0].answered)
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
    update: Update, context: ContextTypes.DEFAULT_TYPE, survey: Survey, charts: list, language: str
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
        caption = svc.texts(
            language, "staff.chart.caption", title=escape(survey.title.get(language)), question=escape(shorten(question_text, 800))
        )
        await context.bot.send_photo(
            update.effective_chat.id,
            photo=InputFile(png, filename=f"{survey.id}-{question_stats.question.id}.png"),
            caption=caption,
        )


# --- /unanswered -------------------------------------------------------------------------------------------------


@staff_only
async def unanswered_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unanswered [N] — recent questions that fell back, were declined or got 👎, each with a ➕ button."""
    svc = services(context)
    args = _args(context)
    limit = _count(args[0] if args else None, UNANSWERED_DEFAULT, UNANSWERED_MAX)
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        items = await uow.staff.unanswered(limit)
        uow.audit.record(update.effective_user.id, "unanswered", args=args)
        await uow.commit()
    if not items:
        await send_html(update, context, [svc.texts(language, "staff.unanswered.none")])
        return
    blocks = [svc.texts(language, "staff.unanswered.header", count=len(items))]
    blocks += [unanswered_block(item, svc.kb, svc.texts, language) for item in items]
    rows = [[_button(svc.texts(language, "staff.unanswered.button", id=item.id), f"adm:u:{item.id}")] for item in items]
    await send_html(update, context, pack(blocks), InlineKeyboardMarkup(rows))


async def _suggestion_keyboard(context: ContextTypes.DEFAULT_TYPE, question, language: str) -> InlineKeyboardMarkup:
    svc = services(context)
    kb = svc.kb
    candidates: list[str] = []
    if question.entry_id and kb.entry(question.entry_id):
        candidates.append(question.entry_id)
    if question.intent and kb.entry(question.intent):
        candidates.append(question.intent)
    _engine, ranking = await svc.qa.classify(question.text)
    candidates += [score.intent for score in ranking if kb.entry(score.intent) is not None]
    unique = list(dict.fromkeys(candidates))[:MAX_SUGGESTIONS]
    rows = [[_button("➕ " + kb.entry(entry_id).title.get(language), f"adm:a:{question.id}:{entry_id}")] for entry_id in unique]
    categories = [
        _button(title.get(language), f"adm:uc:{question.id}:{key}")
        for key, title in kb.taxonomy.categories.items()
        if kb.by_category(key)
    ]
    rows += [categories[i : i + 2] for i in range(0, len(categories), 2)]
    rows.append([_button(svc.texts(language, "staff.unanswered.out_of_scope"), f"adm:a:{question.id}:out_of_scope")])
    return InlineKeyboardMarkup(rows)


async def on_suggest(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: str, edit: str | None) -> None:
    """➕ on a question: the likely entries, the categories to browse, and out_of_scope."""
    svc = services(context)
    query = update.callback_query
    async with svc.uow() as uow:
        question = await uow.staff.question(int(question_id))
        if question is None:
            await qa.stale(update, context)
            return
        language = await user_language(uow, update, svc.settings.default_language)
        uow.audit.record(update.effective_user.id, "kb_suggest", question_id=question.id)
        await uow.commit()
    text = svc.texts(language, "staff.unanswered.choose", text=escape(shorten(question.text, 300)), lang=escape(question.language))
    keyboard = await _suggestion_keyboard(context, question, language)
    await query.answer()
    if edit:
        await _edit(query, text, keyboard)
    else:
        await send_html(update, context, [text], keyboard)


async def on_category(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: str, category: str) -> None:
    svc = services(context)
    kb = svc.kb
    query = update.callback_query
    if category not in kb.taxonomy.categories or not kb.by_category(category):
        await qa.stale(update, context)
        return
    async with svc.uow() as uow:
        question = await uow.staff.question(int(question_id))
        if question is None:
            await qa.stale(update, context)
            return
        language = await user_language(uow, update, svc.settings.default_language)
        uow.audit.record(update.effective_user.id, "kb_suggest", question_id=question.id, category=category)
        await uow.commit()
    rows = [[_button(entry.title.get(language), f"adm:a:{question.id}:{entry.id}")] for entry in kb.by_category(category)]
    rows.append([_button(svc.texts(language, "staff.unanswered.back"), f"adm:u:{question.id}:e")])
    text = svc.texts(
        language,
        "staff.unanswered.category",
        category=escape(kb.taxonomy.categories[category].get(language)),
        text=escape(shorten(question.text, 300)),
    )
    await query.answer()
    await _edit(query, text, InlineKeyboardMarkup(rows))


async def on_assign(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: str, intent: str) -> None:
    """Add the question's text as an example of the entry, in the knowledge-base file (then `make train`)."""
    svc = services(context)
    kb = svc.kb
    query = update.callback_query
    if kb.entry(intent) is None and intent != "out_of_scope":
        await qa.stale(update, context)
        return
    async with svc.uow() as uow:
        question = await uow.staff.question(int(question_id))
        if question is None:
            await qa.stale(update, context)
            return
        language = await user_language(uow, update, svc.settings.default_language)
        try:
            added = await asyncio.to_thread(
                kb_editor.add_example, svc.settings.knowledge_dir, intent, question.language, question.text
            )
            error = None
        except kb_editor.KbEditError as exc:
            added, error = None, str(exc)
        uow.audit.record(
            update.effective_user.id,
            "kb_example",
            question_id=question.id,
            intent=intent,
            language=question.language,
            ok=added is not None,
            error=error,
        )
        await uow.commit()
    await query.answer()
    if added is None:
        await _edit(query, svc.texts(language, "staff.unanswered.failed", reason=escape(error or "")), None)
        return
    entry = kb.entry(intent)
    title = entry.title.get(language) if entry else intent
    log.info("staff %s added an example to %s (%s)", update.effective_user.id, intent, added.path.name)
    await _edit(
        query,
        svc.texts(
            language,
            "staff.unanswered.added",
            text=escape(added.text),
            lang=escape(added.language),
            title=escape(title),
            file=escape(_relative(added.path, svc.settings.knowledge_dir)),
        ),
        None,
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name


# --- /surveys ---------------------------------------------------------------------------------------------------


async def _surveys_view(uow, context: ContextTypes.DEFAULT_TYPE, language: str) -> tuple[str, InlineKeyboardMarkup | None]:
    svc = services(context)
    surveys = _surveys(context)
    if not surveys:
        return svc.texts(language, "staff.stats.no_surveys"), None
    states = await uow.staff.survey_states()
    counts = await uow.staff.response_counts()
    blocks = [svc.texts(language, "staff.surveys.header")]
    rows = []
    for survey in surveys.values():
        open_now = is_open(survey, states)
        by_status = counts.get(survey.id, {})
        blocks.append(
            svc.texts(
                language,
                "staff.surveys.item",
                title=escape(survey.title.get(language)),
                survey=escape(survey.id),
                state=state_word(open_now, texts=svc.texts, language=language),
                started=sum(by_status.values()),
                completed=by_status.get("completed", 0),
                in_progress=by_status.get("in_progress", 0),
            )
        )
        key, target = ("staff.surveys.close", 0) if open_now else ("staff.surveys.open", 1)
        rows.append([_button(svc.texts(language, key, survey=survey.id), f"adm:s:{survey.id}:{target}")])
    text = "\n\n".join(blocks)
    return (text if len(text) <= 4096 else text[:4095] + "…"), InlineKeyboardMarkup(rows)


@staff_only
async def surveys_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/surveys — every survey, open or closed, with counts; a button to open or close each."""
    svc = services(context)
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        text, keyboard = await _surveys_view(uow, context, language)
        uow.audit.record(update.effective_user.id, "surveys", args=_args(context))
        await uow.commit()
    await send_html(update, context, [text], keyboard)


async def on_survey_state(update: Update, context: ContextTypes.DEFAULT_TYPE, survey_id: str, target: str) -> None:
    svc = services(context)
    survey = _surveys(context).get(survey_id)
    query = update.callback_query
    if survey is None:
        await qa.stale(update, context)
        return
    open_now = target == "1"
    async with svc.uow() as uow:
        language = await user_language(uow, update, svc.settings.default_language)
        await uow.surveys.set_state(survey.id, open_now, updated_by=update.effective_user.id)
        uow.audit.record(update.effective_user.id, "survey_state", survey=survey.id, open=open_now)
        await uow.flush()
        text, keyboard = await _surveys_view(uow, context, language)
        await uow.commit()
    log.info("staff %s set survey %s %s", update.effective_user.id, survey.id, "open" if open_now else "closed")
    await query.answer(
        svc.texts(language, "staff.surveys.changed", survey=survey.id, state=state_word(open_now, svc.texts, language))
    )
    await _edit(query, text, keyboard)


# --- buttons ---------------------------------------------------------------------------------------------------


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every `adm:` button. Non-staff and anything we did not produce get the stale-button answer."""
    query = update.callback_query
    if not is_staff(update, context):
        user = update.effective_user
        log.info("non-staff user %s pressed a staff button", user.id if user else None)
        await qa.stale(update, context)
        return
    callback = parse(query.data if query else None)
    if callback is None:
        await qa.stale(update, context)
        return
    args = callback.args
    match callback.verb:
        case "responses":
            await on_responses_page(update, context, *args)
        case "state":
            await on_survey_state(update, context, *args)
        case "suggest":
            await on_suggest(update, context, *args)
        case "category":
            await on_category(update, context, *args)
        case "assign":
            await on_assign(update, context, *args)


COMMANDS: dict[str, Handler] = {
    "stats": stats_command,
    "responses": responses_command,
    "export": export_command,
    "chart": chart_command,
    "unanswered": unanswered_command,
    "surveys": surveys_command,
}


def handlers(private: filters.BaseFilter) -> list[BaseHandler]:
    """The staff commands (private chats) and the `adm:` button handler, for MAIN_GROUP before the catch-alls.
    They match for everyone; the role is checked inside, so non-staff get the unknown-command/stale answer."""
    return [
        *(CommandHandler(name, handler, filters=private) for name, handler in COMMANDS.items()),
        CallbackQueryHandler(on_callback, pattern=rf"^{CALLBACK_PREFIX}"),
    ]
