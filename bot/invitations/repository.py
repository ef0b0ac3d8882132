"""Invitation rows: runs, recipients, their claims. Never commits (the unit of work does).

Claiming uses `SELECT … FOR UPDATE SKIP LOCKED` inside one `UPDATE … RETURNING` on PostgreSQL, so replicas take
disjoint batches without waiting for each other; SQLite ignores the locking clause and the UPDATE is atomic on
its own (one writer at a time), so there too a row is claimed by one process only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Invitation, InvitationRun, SurveyResponse, User
from bot.vocabulary import InvitationStatus, ResponseStatus, RunStatus


@dataclass(frozen=True)
class Candidate:
    user_id: int
    language: str | None
    telegram_language: str | None


@dataclass(frozen=True)
class Claimed:
    id: int
    run_id: int
    user_id: int
    language: str
    attempts: int


class InvitationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- who is invited ------------------------------------------------------------------------------------------

    async def candidates(self, survey_id: str) -> list[Candidate]:
        """Users who used the bot, have not opted out, are not marked blocked, have no response to this survey under
        their id (completed or in progress) and were not already sent an invitation to it."""
        identified = select(SurveyResponse.user_id).where(
            SurveyResponse.survey_id == survey_id,
            SurveyResponse.user_id.is_not(None),
            SurveyResponse.status.in_((ResponseStatus.COMPLETED, ResponseStatus.IN_PROGRESS)),
        )
        invited = (
            select(Invitation.user_id)
            .join(InvitationRun, InvitationRun.id == Invitation.run_id)
            .where(InvitationRun.survey_id == survey_id,
                   Invitation.status.in_((InvitationStatus.SENT, InvitationStatus.SENDING)))
        )
        rows = await self._session.execute(
            select(User.id, User.language, User.telegram_language)
            .where(User.invitations_off.is_(False), User.blocked_at.is_(None), User.id.not_in(identified),
                   User.id.not_in(invited))
            .order_by(User.id)
        )
        return [Candidate(*row) for row in rows.all()]

    async def in_progress_keys(self, survey_id: str) -> set[str]:
        """Respondent keys (HMAC of survey and user) of unfinished responses, anonymous ones included."""
        rows = await self._session.execute(
            select(SurveyResponse.respondent_key).where(
                SurveyResponse.survey_id == survey_id, SurveyResponse.status == ResponseStatus.IN_PROGRESS
            )
        )
        return set(rows.scalars())

    # --- runs ------------------------------------------------------------------------------------------------------

    def add_run(self, run: InvitationRun) -> InvitationRun:
        self._session.add(run)
        return run

    async def add_recipients(self, run_id: int, recipients: Sequence[tuple[int, str]]) -> None:
        if recipients:
            await self._session.execute(
                insert(Invitation),
                [{"run_id": run_id, "user_id": user_id, "language": language, "status": InvitationStatus.QUEUED,
                  "attempts": 0} for user_id, language in recipients],
            )

    async def run(self, run_id: int) -> InvitationRun | None:
        return await self._session.get(InvitationRun, run_id)

    async def running(self, survey_id: str | None = None) -> list[InvitationRun]:
        query = select(InvitationRun).where(InvitationRun.status == RunStatus.RUNNING)
        if survey_id is not None:
            query = query.where(InvitationRun.survey_id == survey_id)
        return list((await self._session.execute(query.order_by(InvitationRun.id))).scalars())

    async def latest_runs(self, limit: int) -> list[InvitationRun]:
        result = await self._session.execute(select(InvitationRun).order_by(InvitationRun.id.desc()).limit(limit))
        return list(result.scalars())

    async def counts(self, run_ids: Iterable[int]) -> dict[int, dict[str, int]]:
        ids = list(run_ids)
        counts: dict[int, dict[str, int]] = {run_id: {} for run_id in ids}
        if ids:
            rows = await self._session.execute(
                select(Invitation.run_id, Invitation.status, func.count())
                .where(Invitation.run_id.in_(ids))
                .group_by(Invitation.run_id, Invitation.status)
            )
            for run_id, status, number in rows.all():
                counts[run_id][status] = number
        return counts

    async def set_run_status(self, run_id: int, status: RunStatus, now: datetime) -> bool:
        """running → done/cancelled; True for the one process whose UPDATE changed the row."""
        result = await self._session.execute(
            update(InvitationRun)
            .where(InvitationRun.id == run_id, InvitationRun.status == RunStatus.RUNNING)
            .values(status=status, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result) == 1

    async def take_status_edit(self, run_id: int, now: datetime, not_since: datetime) -> bool:
        """The right to edit a run's status message now (at most one process, one edit per interval)."""
        result = await self._session.execute(
            update(InvitationRun)
            .where(InvitationRun.id == run_id,
                   or_(InvitationRun.status_edited_at.is_(None), InvitationRun.status_edited_at < not_since))
            .values(status_edited_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result) == 1

    async def unfinished(self, run_id: int) -> int:
        result = await self._session.execute(
            select(func.count()).select_from(Invitation).where(
                Invitation.run_id == run_id,
                Invitation.status.in_((InvitationStatus.QUEUED, InvitationStatus.SENDING)),
            )
        )
        return int(result.scalar_one())

    # --- claims ----------------------------------------------------------------------------------------------------

    async def claim(self, token: str, now: datetime, until: datetime, limit: int) -> list[Claimed]:
        """Claim up to `limit` recipients of running runs: queued ones, and ones whose claim expired (the process
        that held them died). One statement; rows locked by another replica are skipped, not waited for."""
        claimable = and_(
            InvitationRun.status == RunStatus.RUNNING,
            or_(Invitation.status == InvitationStatus.QUEUED,
                and_(Invitation.status == InvitationStatus.SENDING, Invitation.claimed_until < now,
                     Invitation.attempted_at.is_(None))),
        )
        chosen = (
            select(Invitation.id)
            .join(InvitationRun, InvitationRun.id == Invitation.run_id)
            .where(claimable)
            .order_by(Invitation.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Invitation)
        )
        result = await self._session.execute(
            update(Invitation)
            .where(Invitation.id.in_(chosen.scalar_subquery()),
                   or_(Invitation.status == InvitationStatus.QUEUED, Invitation.claimed_until < now))
            .values(status=InvitationStatus.SENDING, claim=token, claimed_until=until, attempts=Invitation.attempts + 1)
            .returning(Invitation.id, Invitation.run_id, Invitation.user_id, Invitation.language, Invitation.attempts)
            .execution_options(synchronize_session=False)
        )
        return sorted((Claimed(*row) for row in result.all()), key=lambda claimed: claimed.id)

    async def give_up_unsure(self, now: datetime) -> int:
        """At most once: rows whose sender died while the message was going out (attempted, claim expired) may
        or may not have reached the user — never sent again, counted as `unsure`."""
        result = await self._session.execute(
            update(Invitation)
            .where(Invitation.status == InvitationStatus.SENDING, Invitation.claimed_until < now,
                   Invitation.attempted_at.is_not(None))
            .values(status=InvitationStatus.UNSURE, claim=None)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def attempt(self, invitation_id: int, token: str, now: datetime) -> bool:
        """At most once: about to send (the slot is ours); False when the claim is no longer ours — don't send."""
        result = await self._session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.claim == token, Invitation.status == InvitationStatus.SENDING)
            .values(attempted_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result) == 1

    async def extend(self, tokens: Iterable[str], until: datetime) -> int:
        """Keep this process's claims alive (heartbeat) while they wait for their turn to be sent."""
        keys = list(tokens)
        if not keys:
            return 0
        result = await self._session.execute(
            update(Invitation)
            .where(Invitation.claim.in_(keys), Invitation.status == InvitationStatus.SENDING)
            .values(claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def quick_commit(self) -> None:
        """Make this transaction's commit not wait for the disk (PostgreSQL: synchronous_commit off, for this
        transaction only). The commit is still atomic and visible at once, and survives the bot process being
        killed; only a crash of the database server itself within a fraction of a second could undo it. Used for
        the outcome of a send, to keep the send → commit window (a kill there means a second copy) short. SQLite
        in WAL mode commits without an fsync already (bot/db/database.py)."""
        if self._session.bind.dialect.name == "postgresql":
            await self._session.execute(text("SET LOCAL synchronous_commit TO OFF"))

    async def finish(self, invitation_id: int, token: str, status: InvitationStatus, now: datetime) -> bool:
        """Record what happened to a claimed recipient; False when the claim was no longer ours."""
        values: dict[str, Any] = {"status": status, "claimed_until": None}
        if status is InvitationStatus.SENT:
            values["sent_at"] = now
        result = await self._session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.claim == token, Invitation.status == InvitationStatus.SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return _changed(result) == 1

    async def release(self, invitation_ids: Iterable[int], token: str) -> int:
        """Claimed but not sent (stopping, or a passing failure): back to the queue."""
        ids = list(invitation_ids)
        if not ids:
            return 0
        result = await self._session.execute(
            update(Invitation)
            .where(Invitation.id.in_(ids), Invitation.claim == token, Invitation.status == InvitationStatus.SENDING)
            .values(status=InvitationStatus.QUEUED, claim=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def retry_later(self, invitation_id: int, token: str, at: datetime) -> None:
        """A passing failure: nobody's claim, taken again by any process from `at` on."""
        await self._session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.claim == token, Invitation.status == InvitationStatus.SENDING)
            .values(claim=None, claimed_until=at)
            .execution_options(synchronize_session=False)
        )

    async def mark_blocked(self, user_id: int, now: datetime) -> None:
        await self._session.execute(
            update(User).where(User.id == user_id).values(blocked_at=now, last_seen_at=User.last_seen_at).execution_options(synchronize_session=False)
        )


def _changed(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)
