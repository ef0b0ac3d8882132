"""Survey invitations, recipient side and delivery: the invitation message (the survey's deep link, "no more
invitations"), /stop and the opt-out / opt-in buttons, and the worker that sends queued invitations in the
background of every bot process (`bot.invitations.service.Invitations.deliver`; any replica may send any row)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, InlineKeyboardButton, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, ContextTypes, ExtBot

from bot.formatting import escape
from bot.invitations.service import Outcome, Recipient, RunView
from bot.ratelimit import Bulk, NotSent
from bot.services import Services

from .common import (
    INVITATION_WAKE_KEY,
    INVITE_PREFIX,
    SERVICES_KEY,
    button,
    edit_text,
    markup,
    parse,
    send_html,
    services,
    stale,
    telegram_code,
    user_id,
)

log = logging.getLogger(__name__)

WORKER_KEY = "invitations.worker"
POLL_SECONDS = 5.0  # how often an idle worker looks for runs started on another replica


def deep_link(bot: Bot, survey_id: str) -> str:
    return f"https://t.me/{bot.username}?start=survey_{survey_id}"


async def send_invitation(bot: ExtBot[Any], svc: Services, recipient: Recipient) -> Outcome:
    """The `send` callback: one invitation, Telegram's answer translated into an Outcome."""
    language = recipient.language
    texts = svc.texts
    keyboard = markup([
        [InlineKeyboardButton(texts(language, "invitation.open"), url=deep_link(bot, recipient.survey.id))],
        [button(texts(language, "invitation.stop"), "inv.off")],
    ])
    text = texts(language, "invitation.text", title=escape(recipient.survey.title.get(language)))
    limited = bot.rate_limiter is not None
    try:
        if not limited and recipient.before_send is not None and not await recipient.before_send():
            raise NotSent("sendMessage")
        await bot.send_message(recipient.user_id, text, reply_markup=keyboard,  # the slower, bulk budget; at most
                               rate_limit_args=Bulk(recipient.before_send) if limited else None)  # once: the hook
    except NotSent:  # the claim was lost to another process: it is theirs now
        return Outcome.RETRY
    except Forbidden:
        return Outcome.BLOCKED
    except BadRequest as exc:  # chat not found, user deactivated
        log.info("invitation %s undeliverable: %s", recipient.invitation_id, exc)
        return Outcome.FAILED
    except (RetryAfter, NetworkError) as exc:
        log.warning("invitation %s will be retried: %s", recipient.invitation_id, exc)
        return Outcome.RETRY
    return Outcome.SENT


App = Application[Any, Any, Any, Any, Any, Any]
ShowProgress = Callable[[Bot, dict[Any, Any], RunView], Awaitable[None]]


async def deliver(application: App, show_progress: ShowProgress, stopping: Callable[[], bool] = lambda: False) -> int:
    """Send whatever is queued, until nothing is left; returns how many were sent by this process.
    `show_progress` edits a run's staff status message (handlers/staff/invitations.py)."""
    svc: Services = application.bot_data[SERVICES_KEY]
    bot = application.bot

    async def send(recipient: Recipient) -> Outcome:
        return await send_invitation(bot, svc, recipient)

    async def report(run: RunView) -> None:
        await show_progress(bot, application.bot_data, run)

    return await svc.invitations.deliver(svc.surveys, send, report, stopping)


class Worker:
    """The background loop: deliver, then sleep until woken (a run confirmed here) or POLL_SECONDS pass."""

    def __init__(self, application: App, show_progress: ShowProgress) -> None:
        self.application = application
        self.show_progress = show_progress
        self.wake = asyncio.Event()
        self.stopping = False
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.application.bot_data[INVITATION_WAKE_KEY] = self.wake
        self.task = asyncio.create_task(self._run(), name="invitations")

    async def _run(self) -> None:
        while not self.stopping:
            try:
                sent = await deliver(self.application, self.show_progress, lambda: self.stopping)
                if sent:
                    log.info("sent %d survey invitation(s)", sent)
            except Exception:
                log.exception("invitation delivery failed; trying again shortly")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), POLL_SECONDS)

    async def stop(self) -> None:
        """A graceful stop: no new sends, the ones in flight finish and are recorded, claimed rows released."""
        self.stopping = True
        self.wake.set()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, 30)


async def start_worker(application: App, show_progress: ShowProgress) -> None:
    worker = Worker(application, show_progress)
    application.bot_data[WORKER_KEY] = worker
    worker.start()


async def stop_worker(application: App) -> None:
    worker = application.bot_data.pop(WORKER_KEY, None)
    if worker is not None:
        await worker.stop()


# --- opting out and back in -----------------------------------------------------------------------------------


async def stop_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stop: no more survey invitations (a button to take that back)."""
    svc = services(context)
    language = await svc.accounts.set_invitations(user_id(update), telegram_code(update), enabled=False)
    await send_html(update, context, [svc.texts(language, "invitation.stopped")],
                    markup([[button(svc.texts(language, "invitation.resume"), "inv.on")]]))


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The buttons under an invitation and under the opt-out confirmation."""
    svc = services(context)
    query = update.callback_query
    callback = parse(query.data if query else None, INVITE_PREFIX)
    if callback is None or query is None:
        await stale(update, context)
        return
    enabled = callback.verb == "inv.on"
    language = await svc.accounts.set_invitations(user_id(update), telegram_code(update), enabled=enabled)
    await query.answer()
    if enabled:
        await edit_text(query, svc.texts(language, "invitation.resumed"), None)
    else:  # the invitation itself stays as it is (its survey link still works); the answer goes below it
        await send_html(update, context, [svc.texts(language, "invitation.stopped")],
                        markup([[button(svc.texts(language, "invitation.resume"), "inv.on")]]))
