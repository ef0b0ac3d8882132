"""Survey invitations, Telegram-free: who is invited, the run's life (start, status, cancel) and delivery.

Who is invited: every user the bot has a row for (they have used it), who has not opted out (/stop or the button
under an invitation), is not marked blocked (an earlier 403), and has not answered the survey as far as the bot
can tell: no completed response under their id and no unfinished response (identified, or anonymous through its
respondent key — the key an unfinished anonymous response is found by anyway). A *completed anonymous* response
is deliberately not linked back to a user here, so such a respondent may be invited; the invitation says that
anyone who has already answered can ignore it. Users already sent an invitation to the survey are not invited
again.

Delivery, at most once per recipient (`deliver`): a batch of rows is claimed (status `sending`, a random claim
token, `claimed_until` = now + the claim time) in one committed statement; a heartbeat keeps the claims of this
process alive while they wait for their turn; each message is sent with no transaction open and its outcome is
committed right after (one single-row UPDATE). A process killed with claims in hand leaves rows in `sending`;
once their claim expires any process takes them again. The one residual window: a kill after Telegram accepted a
message and before its "sent" row is committed — that recipient would get a second copy after the claim expires.
It lasts one single-row commit (a millisecond or two, measured in docs/benchmarks.md); a normal stop (SIGTERM)
finishes the messages in flight and releases the rest, so it never leaves that window open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from bot.accounts import preferred_language
from bot.db.models import InvitationRun, utcnow
from bot.i18n import LANGUAGES
from bot.surveys.engine import SurveyEngine
from bot.surveys.schema import Survey
from bot.uow import UnitOfWork, UnitOfWorkFactory
from bot.vocabulary import InvitationStatus, RunStatus, survey_is_open

from .recorder import SentRecorder
from .repository import Claimed

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # passing failures (network) before a recipient is given up as failed
RETRY_SECONDS = 30.0  # after a passing failure


class Outcome(StrEnum):
    """What the `send` callback reports for one invitation."""

    SENT = "sent"
    BLOCKED = "blocked"  # 403: marked on the user, skipped by later runs
    FAILED = "failed"  # chat gone or another permanent error
    RETRY = "retry"  # network trouble or still rate limited: back to the queue


@dataclass(frozen=True)
class Recipient:
    invitation_id: int
    run_id: int
    user_id: int  # = the private chat id
    language: str
    survey: Survey
    # At most once: to be awaited by the sender right before the message goes out (after waiting for its slot of
    # the send budget); False means the claim was lost — don't send. None: at least once, nothing to call.
    before_send: Callable[[], Awaitable[bool]] | None = None


@dataclass(frozen=True)
class RunView:
    """A run as the staff status message shows it."""

    id: int
    survey_id: str
    status: str
    total: int
    counts: dict[str, int]
    language: str
    chat_id: int | None
    message_id: int | None

    @property
    def sent(self) -> int:
        return self.counts.get(InvitationStatus.SENT, 0)

    @property
    def waiting(self) -> int:
        return self.counts.get(InvitationStatus.QUEUED, 0) + self.counts.get(InvitationStatus.SENDING, 0)


@dataclass(frozen=True)
class Started:
    run: RunView | None
    refusal: str | None = None  # "closed" | "running" | "nobody"


@dataclass
class Tuning:
    batch: int = 30  # rows claimed at once (about a second of sending)
    in_flight: int = 16  # sends waiting for their slot of the send budget at once
    claim_seconds: float = 15.0  # a claim not renewed for this long is taken by another process
    status_seconds: float = 3.0  # at most one edit of a staff status message per this many seconds
    at_most_once: bool = True  # a kill while a message goes out: "unsure" (True) or a possible second copy (False)


@dataclass
class _Held:
    """This process's claimed rows per claim token, until each is recorded."""

    rows: dict[str, set[int]] = field(default_factory=dict)

    def tokens(self) -> list[str]:
        return [token for token, ids in self.rows.items() if ids]


Send = Callable[[Recipient], Awaitable[Outcome]]
Report = Callable[[RunView], Awaitable[None]]


class Invitations:
    def __init__(self, uow: UnitOfWorkFactory, engine: SurveyEngine, default_language: str,
                 tuning: Tuning | None = None, recorder: SentRecorder | None = None) -> None:
        self._uow = uow
        self._recorder = recorder  # the fast path for "sent" (recorder.py); without it, the unit of work
        self._engine = engine
        self._default_language = default_language
        self.tuning = tuning or Tuning()
        self._surveys_by_run: dict[int, str] = {}

    async def close(self) -> None:
        if self._recorder is not None:
            await self._recorder.close()

    # --- staff: preview, start, status, cancel ------------------------------------------------------------------

    async def _recipients(self, uow: UnitOfWork, survey: Survey) -> list[tuple[int, str]]:
        unfinished = await uow.invitations.in_progress_keys(survey.id)
        return [
            (candidate.user_id, candidate.language if candidate.language in LANGUAGES
             else preferred_language(None, candidate.telegram_language, self._default_language))
            for candidate in await uow.invitations.candidates(survey.id)
            if self._engine.respondent_key(survey.id, candidate.user_id) not in unfinished
        ]

    async def preview(self, survey: Survey) -> tuple[int, str | None]:
        """How many users an invitation would reach now, or why it can't start ("closed", "running")."""
        async with self._uow() as uow:
            refusal = await self._refusal(uow, survey)
            return len(await self._recipients(uow, survey)), refusal

    async def _refusal(self, uow: UnitOfWork, survey: Survey) -> str | None:
        if not survey_is_open(survey.open, await uow.surveys.state(survey.id)):
            return "closed"
        if await uow.invitations.running(survey.id):
            return "running"
        return None

    async def start(self, admin_id: int, survey: Survey, language: str, chat_id: int) -> Started:
        """Queue one invitation per recipient (one transaction, audited); the status message is the caller's."""
        async with self._uow() as uow:
            refusal = await self._refusal(uow, survey)
            recipients = await self._recipients(uow, survey) if refusal is None else []
            if refusal is None and not recipients:
                refusal = "nobody"
            uow.audit.record(admin_id, "invite_start", survey=survey.id, recipients=len(recipients),
                             refused=refusal)
            if refusal is not None:
                await uow.commit()
                return Started(None, refusal)
            run = uow.invitations.add_run(InvitationRun(
                survey_id=survey.id, admin_id=admin_id, language=language, status=RunStatus.RUNNING,
                total=len(recipients), status_chat_id=chat_id,
            ))
            await uow.flush()
            await uow.invitations.add_recipients(run.id, recipients)
            await uow.commit()
            return Started(_view(run, {InvitationStatus.QUEUED: len(recipients)}))

    async def set_status_message(self, run_id: int, message_id: int) -> None:
        async with self._uow() as uow:
            run = await uow.invitations.run(run_id)
            if run is not None:
                run.status_message_id = message_id
                await uow.commit()

    async def status(self, limit: int = 5) -> list[RunView]:
        """Running runs and the latest ones, newest first."""
        async with self._uow() as uow:
            runs = await uow.invitations.latest_runs(limit)
            running = [run for run in await uow.invitations.running() if run.id not in {r.id for r in runs}]
            runs = sorted([*runs, *running], key=lambda run: -run.id)
            counts = await uow.invitations.counts(run.id for run in runs)
            return [_view(run, counts[run.id]) for run in runs]

    async def cancel(self, admin_id: int, run_id: int) -> RunView | None:
        """Stop a running run (messages already in flight still go out); None when there is no such run."""
        async with self._uow() as uow:
            run = await uow.invitations.run(run_id)
            if run is None:
                return None
            await uow.invitations.set_run_status(run_id, RunStatus.CANCELLED, utcnow())
            uow.audit.record(admin_id, "invite_cancel", survey=run.survey_id, run=run_id)
            await uow.commit()
        async with self._uow() as uow:
            run = await uow.invitations.run(run_id)
            assert run is not None
            return _view(run, (await uow.invitations.counts([run_id]))[run_id])

    # --- delivery ------------------------------------------------------------------------------------------------

    async def deliver(self, surveys: dict[str, Survey], send: Send, report: Report | None = None,
                      stopping: Callable[[], bool] = lambda: False) -> int:
        """Send queued invitations until none is left (or `stopping()`); returns how many were sent here."""
        tuning = self.tuning
        held = _Held()
        in_flight = asyncio.Semaphore(tuning.in_flight)
        tasks: set[asyncio.Task[bool]] = set()
        sent = 0
        heartbeat = asyncio.create_task(self._heartbeat(held))
        try:
            while not stopping():
                token = secrets.token_hex(16)
                async with self._uow() as uow:
                    now = utcnow()
                    await uow.invitations.give_up_unsure(now)
                    batch = await uow.invitations.claim(token, now, now + timedelta(seconds=tuning.claim_seconds),
                                                        tuning.batch)
                    await uow.commit()
                if not batch:
                    break
                held.rows[token] = {row.id for row in batch}
                for number, row in enumerate(batch):
                    await in_flight.acquire()
                    if stopping():
                        in_flight.release()
                        await self._release(token, [later.id for later in batch[number:]], held)
                        break
                    task = asyncio.create_task(self._send_one(surveys, send, token, row, held))
                    tasks.add(task)
                    task.add_done_callback(lambda _done: in_flight.release())
                if report is not None:
                    await self._report(report, finished_only=False)
            sent = sum(await asyncio.gather(*tasks))
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        if report is not None:
            await self._report(report, finished_only=True)
        return sent

    async def _send_one(self, surveys: dict[str, Survey], send: Send, token: str, row: Claimed, held: _Held) -> bool:
        survey_id = await self._survey_of(row.run_id)
        survey = surveys.get(survey_id or "")
        outcome = Outcome.FAILED
        if survey is not None:
            before = (lambda: self._attempt(row.id, token)) if self.tuning.at_most_once else None
            try:
                outcome = await send(Recipient(row.id, row.run_id, row.user_id, row.language, survey, before))
            except Exception:  # never let one recipient stop the run; the claim is released below
                log.exception("invitation %s: sending failed", row.id)
                outcome = Outcome.RETRY
        status = {Outcome.SENT: InvitationStatus.SENT, Outcome.BLOCKED: InvitationStatus.BLOCKED,
                  Outcome.FAILED: InvitationStatus.FAILED}.get(outcome)
        if outcome is Outcome.RETRY and row.attempts >= MAX_ATTEMPTS:
            status = InvitationStatus.FAILED
        if status is InvitationStatus.SENT and self._recorder is not None:  # right after the send: one statement
            if not await self._recorder.sent(row.id, token, utcnow()):
                log.warning("invitation %s: claim %s was lost before it was recorded as sent", row.id, token)
            self._forget(held, token, row.id)
            return True
        async with self._uow() as uow:  # right after the send: one single-row UPDATE, committed at once
            now = utcnow()
            await uow.invitations.quick_commit()
            if status is None:  # try again later (any process), not at once
                await uow.invitations.retry_later(row.id, token, now + timedelta(seconds=RETRY_SECONDS))
            elif not await uow.invitations.finish(row.id, token, status, now):
                log.warning("invitation %s: claim %s was lost before its outcome was recorded", row.id, token)
            if status is InvitationStatus.BLOCKED:
                await uow.invitations.mark_blocked(row.user_id, now)
            await uow.commit()
        self._forget(held, token, row.id)
        return status is InvitationStatus.SENT

    async def _attempt(self, invitation_id: int, token: str) -> bool:
        if self._recorder is not None:
            return await self._recorder.attempt(invitation_id, token, utcnow())
        async with self._uow() as uow:
            attempted = await uow.invitations.attempt(invitation_id, token, utcnow())
            await uow.commit()
        return attempted

    @staticmethod
    def _forget(held: _Held, token: str, invitation_id: int) -> None:
        held.rows.get(token, set()).discard(invitation_id)
        if not held.rows.get(token):
            held.rows.pop(token, None)

    async def _survey_of(self, run_id: int) -> str | None:
        if run_id not in self._surveys_by_run:
            async with self._uow() as uow:
                run = await uow.invitations.run(run_id)
                if run is None:
                    return None
                self._surveys_by_run[run_id] = run.survey_id
        return self._surveys_by_run[run_id]

    async def _release(self, token: str, ids: list[int], held: _Held) -> None:
        async with self._uow() as uow:
            await uow.invitations.release(ids, token)
            await uow.commit()
        for invitation_id in ids:
            held.rows.get(token, set()).discard(invitation_id)

    async def _heartbeat(self, held: _Held) -> None:
        """Renew this process's claims every third of the claim time while they wait to be sent."""
        interval = self.tuning.claim_seconds / 3
        while True:
            await asyncio.sleep(interval)
            tokens = held.tokens()
            if not tokens:
                continue
            try:
                async with self._uow() as uow:
                    await uow.invitations.extend(tokens, utcnow() + timedelta(seconds=self.tuning.claim_seconds))
                    await uow.commit()
            except Exception:  # the database is away: sends go on; claims may expire (logged)
                log.exception("could not renew invitation claims")

    async def _report(self, report: Report, finished_only: bool) -> None:
        """Finish runs with nothing left to send, and show progress: each status message at most once per
        `status_seconds` (decided in the database, so two replicas don't both edit it)."""
        views: list[RunView] = []
        async with self._uow() as uow:
            now = utcnow()
            for run in await uow.invitations.running():
                finished = await uow.invitations.unfinished(run.id) == 0
                if finished and await uow.invitations.set_run_status(run.id, RunStatus.DONE, now):
                    run.status = RunStatus.DONE
                elif finished_only or not await uow.invitations.take_status_edit(
                    run.id, now, now - timedelta(seconds=self.tuning.status_seconds)
                ):
                    continue
                views.append(_view(run, (await uow.invitations.counts([run.id]))[run.id]))
            await uow.commit()
        for view in views:
            try:
                await report(view)
            except Exception:  # progress is best effort
                log.exception("could not show the status of invitation run %s", view.id)


def _view(run: InvitationRun, counts: dict[str, int]) -> RunView:
    return RunView(run.id, run.survey_id, run.status, run.total, counts, run.language, run.status_chat_id,
                   run.status_message_id)
