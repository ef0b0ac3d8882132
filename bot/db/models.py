"""Database tables (SQLAlchemy 2 declarative). Schema changes go through Alembic migrations.

Portable types only (BigInteger ids, timezone-aware timestamps, no SQLite- or PostgreSQL-only features), so
the same migrations run on the default SQLite file and on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.vocabulary import HandoffStatus, ResponseStatus

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    """A Telegram user the bot has talked to. Only what the bot needs: no names, no phone numbers."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8))  # chosen with /language
    telegram_language: Mapped[str | None] = mapped_column(String(16))  # Telegram's language_code
    start_payload: Mapped[str | None] = mapped_column(String(64))  # deep-link payload of the last /start
    # What the user's next text message is, when it is not a question: "handoff" = a question for staff.
    # Kept in the database (not in memory) so it survives restarts and works across bot processes.
    awaiting: Mapped[str | None] = mapped_column(String(32))
    awaiting_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # expires (HANDOFF_WAIT_MINUTES)
    # Survey invitations (/invite): the user said "no more invitations" (/stop or the button under one).
    invitations_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Telegram answered 403 (the user blocked the bot): skipped by invitations until the user writes again.
    blocked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Question(Base):
    """Every question an applicant asked and what the bot did with it: the staff's view of real demand."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    engine: Mapped[str] = mapped_column(String(16))  # bot.vocabulary.Engine
    outcome: Mapped[str] = mapped_column(String(32))  # bot.vocabulary.QuestionOutcome, or a meta intent
    entry_id: Mapped[str | None] = mapped_column(String(64))  # the entry answered with, if any
    # The entry ids offered as "did you mean" / related, space-separated: the only entries a pick: button may
    # choose (NULL: nothing was offered, so pick:/none: buttons for this question are forged).
    offered: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class Rating(Base):
    """👍 (+1) / 👎 (-1) on an answer; one per question, the last press wins."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    entry_id: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class HandoffRequest(Base):
    """An applicant asked for a person; forwarded to the staff chat, answered by a staff reply."""

    __tablename__ = "handoff_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=HandoffStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Delivery to staff (bot/handoff.py): NULL until a copy landed in a staff chat. Undelivered requests are
    # retried by a job with back-off (`next_attempt_at`); `claimed_until` stops two processes sending the same one.
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- Feedback surveys ---------------------------------------------------------------------------------------
# Survey *definitions* are YAML files (surveys/*.yaml); the database holds what participants did with them.
# Every answer is written the moment it is given, and the pending question is a column of the response, so a
# restarted bot — or a second bot process on the same database — continues exactly where the participant was.


class SurveyState(Base):
    """Staff's open/closed switch for a survey (overrides the YAML file's default when present)."""

    __tablename__ = "survey_states"

    survey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_open: Mapped[bool] = mapped_column(Boolean)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class SurveyResponse(Base):
    """One participant's run through one survey.

    Anonymous responses never store the Telegram user id: `user_id` is NULL and, while unfinished,
    `respondent_key` is a keyed hash (HMAC with RESPONDENT_KEY_SECRET) of survey id + user id, enough to resume
    it. When an anonymous response is completed its key is replaced with random bytes, so not even the secret
    links it to a person; "already answered" is then a row of `survey_completions`, which names no response.
    """

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # NULL when anonymous
    respondent_key: Mapped[str] = mapped_column(String(64), index=True)  # HMAC(survey_id, user_id); random once done
    key_id: Mapped[str | None] = mapped_column(String(16))  # which RESPONDENT_KEY_SECRET made the key (not secret)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=ResponseStatus.IN_PROGRESS.value)  # bot.vocabulary
    current_question: Mapped[str | None] = mapped_column(String(64))  # id of the pending question
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency between bot processes
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    __mapper_args__ = {"version_id_col": version}
    # At most one unfinished response per respondent and survey, even when two bot processes handle two taps
    # on "Agree" at the same instant: the second insert fails and that process shows the existing response.
    __table_args__ = (
        Index(
            "uq_survey_responses_one_in_progress",
            "respondent_key",
            unique=True,
            sqlite_where=text("status = 'in_progress'"),
            postgresql_where=text("status = 'in_progress'"),
        ),
    )


class SurveyCompletion(Base):
    """"This person has answered this survey" for surveys answered once (`allow_repeat: false`): only the keyed
    hash of (survey, user) — the respondent key the response had — and which secret made it. No response id, no
    time, and no row id or insertion order on SQLite (WITHOUT ROWID, ordered by the hash), so a marker cannot be
    matched to the response it came from. Deleted by /forget (the user's keys find it)."""

    __tablename__ = "survey_completions"
    __table_args__ = {"sqlite_with_rowid": False}

    marker: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str | None] = mapped_column(String(16))


class SurveyAnswer(Base):
    """One answer to one question; `value` is JSON (a number, a choice id, a list of ids, true/false, text)."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)  # JSON; NULL when skipped
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SurveyReminder(Base):
    """One reminder for an unfinished response; the schedule lives here so it survives restarts.

    For an anonymous response the chat id is the only link to a person; the row is deleted as soon as the
    reminder is sent, the response completed or cancelled, or the user asks /forget.
    """

    __tablename__ = "survey_reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), unique=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # When a bot process claimed it for sending (the row is deleted once sent). A claim older than
    # bot.surveys.reminders.CLAIM_EXPIRY belongs to a process that died: it may be claimed again.
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- Staff review ---------------------------------------------------------------------------------------------
# What staff did (audit) and where handed-off questions were delivered, so a staff reply to such a message can
# be routed back to the applicant who asked.


class AuditLog(Base):
    """One staff action: a staff command, a staff button, a reply to a handed-off question.

    `details` is JSON and names survey, question and handoff ids only, never an applicant's user id.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admin_id: Mapped[int] = mapped_column(BigInteger, index=True)  # who (the staff member's Telegram id)
    action: Mapped[str] = mapped_column(String(32))  # what: stats | export | survey_state | handoff_reply | ...
    details: Mapped[str | None] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)  # when


class StaffChatMove(Base):
    """A staff group that Telegram turned into a supergroup (a new chat id): hand-offs follow it."""

    __tablename__ = "staff_chat_moves"

    old_chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    new_chat_id: Mapped[int] = mapped_column(BigInteger)
    moved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HandoffDelivery(Base):
    """A handed-off question as delivered to a staff chat: a reply to that message goes to the applicant."""

    __tablename__ = "handoff_deliveries"
    __table_args__ = (UniqueConstraint("staff_chat_id", "staff_message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoff_requests.id", ondelete="CASCADE"), index=True)
    staff_chat_id: Mapped[int] = mapped_column(BigInteger)
    staff_message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Durable intake -----------------------------------------------------------------------------------------


class InboxUpdate(Base):
    """A Telegram update as received, stored before it is confirmed to Telegram (polling: before the next
    getUpdates offset; webhook: before the HTTP 200). The primary key makes a redelivered update a no-op.

    While unprocessed, `payload` holds the update's JSON and `user_id` whose it is; once processed both are
    cleared — the row then names nobody and only remembers that `update_id` was handled (kept a few days,
    longer than Telegram redelivers)."""

    __tablename__ = "update_inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the replica processing it
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
# --- Survey invitations and the shared send budget -------------------------------------------------------------


class InvitationRun(Base):
    """One `/invite <survey>`: who started it, where its status message is, whether it is still sending."""

    __tablename__ = "invitation_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(64), index=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8))  # of the staff member's status message
    status: Mapped[str] = mapped_column(String(16), index=True)  # bot.vocabulary.RunStatus
    total: Mapped[int] = mapped_column(Integer, default=0)
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    status_edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invitation(Base):
    """One recipient of one run. Claimed (status `sending`, `claim`, `claimed_until`) before it is sent, marked
    `sent` right after; a claim that expires (the process died) is taken again by any bot process."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("run_id", "user_id"), Index("ix_invitations_status_id", "status", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("invitation_runs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)  # = the private chat id
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))  # bot.vocabulary.InvitationStatus
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # At most once (INVITATION_DELIVERY): set right before the message goes out. A row found `sending` with an
    # expired claim and this set may or may not have reached the user: it becomes `unsure`, never sent again.
    attempted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SendBudget(Base):
    """The bot's send budget, shared by every replica: per key ("all", "bulk", "chat:<id>") the theoretical
    arrival time (GCRA, seconds since the epoch) of the next message; reserved with one UPSERT … RETURNING."""

    __tablename__ = "send_budget"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    tat: Mapped[float] = mapped_column(Float)
