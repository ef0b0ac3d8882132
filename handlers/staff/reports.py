"""/stats, /responses, /surveys and their buttons (responses pages, open/close a survey)."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.formatting import escape, pack
from bot.i18n import Translator
from bot.staff.render import model_block, qa_stats_block, response_blocks, state_word, survey_list, survey_stats_blocks
from bot.staff.service import ResponsesPage, SurveyOverview
from bot.surveys.schema import Survey
from bot.vocabulary import ResponseStatus

from ..common import button, edit_markup, edit_text, markup, send_html, services, stale, telegram_code, user_id
from .access import count_arg, staff_only

log = logging.getLogger(__name__)

RESPONSES_DEFAULT, RESPONSES_MAX = 10, 100


async def usage(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, command: str, args: list[str]) -> None:
    svc = services(context)
    if args:
        text = svc.texts(language, "staff.unknown_survey", survey=escape(args[0]), surveys=survey_list(svc.surveys))
    else:
        text = svc.texts(language, f"staff.usage.{command}", surveys=survey_list(svc.surveys))
    await send_html(update, context, [text])


async def survey_arg(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, command: str,
                     args: list[str]) -> Survey | None:
    """The survey named by the command's first argument; None (after the usage reply) when there is none."""
    survey = services(context).surveys.get(args[0]) if args else None
    if survey is None:
        await usage(update, context, language, command, args)
    return survey


@staff_only("stats")
async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, args: list[str]) -> None:
    """/stats — every survey and Q&A; /stats <survey> — that survey only."""
    svc = services(context)
    selected = svc.surveys
    if args:
        survey = svc.surveys.get(args[0])
        selected = {survey.id: survey} if survey else {}
    if args and not selected:
        await usage(update, context, language, "stats", args)
        return
    survey_stats_list, qa_numbers, model = await svc.staff.stats(selected, with_qa=not args)
    blocks: list[str] = []
    if qa_numbers is not None:
        blocks.append(qa_stats_block(qa_numbers, svc.kb, svc.texts, language))
    if model is not None:
        blocks.append(model_block(model, svc.knowledge_version, svc.texts, language))
    for stats in survey_stats_list:
        blocks += survey_stats_blocks(stats, svc.texts, language)
    if not survey_stats_list and not args:
        blocks.append(svc.texts(language, "staff.stats.no_surveys"))
    await send_html(update, context, pack(blocks))


def _page_messages(
    texts: Translator, language: str, survey: Survey, wanted: int, page: ResponsesPage
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    title = escape(survey.title.get(language))
    if page.total == 0:
        return [texts(language, "staff.responses.none", title=title)], None
    blocks = [texts(language, "staff.responses.header", title=title, first=page.offset + 1,
                    last=page.offset + len(page.responses), total=page.total)]
    for response in page.responses:
        blocks += response_blocks(survey, response, texts, language)
    row = []
    if page.page > 0:
        row.append(button(texts(language, "staff.responses.prev"), "adm.responses", survey.id, wanted, page.page - 1))
    if page.page < page.pages - 1:
        row.append(button(texts(language, "staff.responses.next"), "adm.responses", survey.id, wanted, page.page + 1))
    return pack(blocks), markup([row]) if row else None


@staff_only("responses")
async def responses_command(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, args: list[str]) -> None:
    """/responses <survey> [N] — the last N completed responses, a page at a time."""
    svc = services(context)
    survey = await survey_arg(update, context, language, "responses", args)
    if survey is None:
        return
    wanted = count_arg(args[1] if len(args) > 1 else None, RESPONSES_DEFAULT, RESPONSES_MAX)
    page = await svc.staff.responses_page(survey, wanted, 0)
    messages, keyboard = _page_messages(svc.texts, language, survey, wanted, page)
    await send_html(update, context, messages, keyboard)


async def on_responses_page(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery,
                            survey_id: str, wanted: int, page_number: int) -> None:
    svc = services(context)
    survey = svc.surveys.get(survey_id)
    if survey is None or not 1 <= wanted <= RESPONSES_MAX:
        await stale(update, context)
        return
    page = await svc.staff.responses_page(survey, wanted, page_number, admin_id=user_id(update))
    language = await svc.accounts.language(user_id(update), telegram_code(update))
    messages, keyboard = _page_messages(svc.texts, language, survey, wanted, page)
    await query.answer()
    if len(messages) == 1:
        await edit_text(query, messages[0], keyboard)
    else:  # a page too long for one message: send it anew, keep the old one without buttons
        await edit_markup(query, None)
        await send_html(update, context, messages, keyboard)


def _surveys_view(texts: Translator, language: str,
                  overview: list[SurveyOverview]) -> tuple[list[str], InlineKeyboardMarkup | None]:
    if not overview:
        return [texts(language, "staff.stats.no_surveys")], None
    blocks = [texts(language, "staff.surveys.header")]
    rows = []
    for item in overview:
        survey = item.survey
        blocks.append(texts(
            language,
            "staff.surveys.item",
            title=escape(survey.title.get(language)),
            survey=escape(survey.id),
            state=state_word(item.is_open, texts=texts, language=language),
            started=sum(item.counts.values()),
            completed=item.counts.get(ResponseStatus.COMPLETED, 0),
            in_progress=item.counts.get(ResponseStatus.IN_PROGRESS, 0),
        ))
        key, target = ("staff.surveys.close", 0) if item.is_open else ("staff.surveys.open", 1)
        rows.append([button(texts(language, key, survey=survey.id), "adm.state", survey.id, target)])
    return pack(blocks), markup(rows)  # split between surveys: finished HTML is never sliced


@staff_only("surveys")
async def surveys_command(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, args: list[str]) -> None:
    """/surveys — every survey, open or closed, with counts; a button to open or close each."""
    svc = services(context)
    messages, keyboard = _surveys_view(svc.texts, language, await svc.staff.overview())
    await send_html(update, context, messages, keyboard)


async def on_survey_state(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery,
                          survey_id: str, open_now: bool) -> None:
    svc = services(context)
    survey = svc.surveys.get(survey_id)
    if survey is None:
        await stale(update, context)
        return
    overview = await svc.staff.set_state(user_id(update), survey, open_now)
    language = await svc.accounts.language(user_id(update), telegram_code(update))
    log.info("staff %s set survey %s %s", user_id(update), survey.id, "open" if open_now else "closed")
    await query.answer(
        svc.texts(language, "staff.surveys.changed", survey=survey.id, state=state_word(open_now, svc.texts, language))
    )
    messages, keyboard = _surveys_view(svc.texts, language, overview)
    if len(messages) == 1:
        await edit_text(query, messages[0], keyboard)
    else:  # too long for one message: send it anew, keep the old one without buttons
        await edit_markup(query, None)
        await send_html(update, context, messages, keyboard)
