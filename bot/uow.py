"""Unit of work: one database transaction per use case (cosmicpython's pattern).

    async with uow_factory() as uow:
        user = await uow.users.touch(...)
        uow.questions.add(...)
        await uow.commit()

Leaving the block without `commit()` — or with an exception — rolls everything back, so a failing use case
never leaves half a change in the database. Every repository is declared here with its type; the session is
theirs alone (nothing else calls it). This module sits above `bot/db/` and the feature packages' repositories,
so `bot/db/` never imports a feature package.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from .db.inbox import PROCESSING, InboxRepository
from .db.personal_data import PersonalDataRepository
from .db.repositories import HandoffRepository, QuestionRepository, RatingRepository, UserRepository
from .invitations.repository import InvitationRepository
from .staff.audit import AuditRepository
from .staff.repositories import HandoffDeliveryRepository, StaffRepository
from .surveys.repository import SurveyRepository


class UnitOfWork:
    users: UserRepository
    questions: QuestionRepository
    ratings: RatingRepository
    handoffs: HandoffRepository
    surveys: SurveyRepository
    audit: AuditRepository  # staff actions
    staff: StaffRepository  # staff review queries
    handoff_deliveries: HandoffDeliveryRepository
    personal_data: PersonalDataRepository  # /mydata, /forget
    inbox: InboxRepository  # received Telegram updates (bot.intake)
    invitations: InvitationRepository  # survey invitations (/invite)

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], read_only: bool = False) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None
        self.read_only = read_only

    @property
    def session(self) -> AsyncSession:
        """For tests that inspect the database; application code goes through the repositories."""
        assert self._session is not None, "use the unit of work inside `async with`"
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        session = self._session = self._session_factory()
        self.users = UserRepository(session)
        self.questions = QuestionRepository(session)
        self.ratings = RatingRepository(session)
        self.handoffs = HandoffRepository(session)
        self.surveys = SurveyRepository(session)
        self.audit = AuditRepository(session)
        self.staff = StaffRepository(session)
        self.handoff_deliveries = HandoffDeliveryRepository(session)
        self.personal_data = PersonalDataRepository(session)
        self.inbox = InboxRepository(session)
        self.invitations = InvitationRepository(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches the loaded objects *without*
        # expiring them, so callers may still read e.g. a user's language after the block.
        await self.session.close()

    async def commit(self) -> None:
        """Commit — and, while a Telegram update is being processed, record it as processed in the same
        transaction, so its effects and "done" land together (bot/db/inbox.py)."""
        if self.read_only:
            raise ReadOnlyError("a read-only unit of work cannot commit")
        update_id = self.unmarked_update
        if update_id is not None:
            await self.inbox.mark_processed(update_id)
            await self.session.commit()
            self.marked()
            return
        await self.session.commit()

    @property
    def unmarked_update(self) -> int | None:
        """The Telegram update being processed while no commit has recorded it as processed yet: a use case that
        writes its effects in one statement (`one_statement=True`) writes this mark in it too, then calls
        `marked()` — what `commit` does inside a transaction."""
        processing = PROCESSING.get()
        return processing.update_id if processing is not None and not processing.recorded else None

    def marked(self) -> None:
        processing = PROCESSING.get()
        if processing is not None:
            processing.recorded = True

    async def rollback(self) -> None:
        """Start over inside the same block (e.g. after a unique-constraint race)."""
        await self.session.rollback()

    async def flush(self) -> None:
        """Assign ids (e.g. a question's id for its rating buttons) without committing."""
        await self.session.flush()


class ReadOnlyError(RuntimeError):
    """A read-only unit of work was asked to write."""


class ReadOnlySession(Session):
    """The session of a read-only unit of work: refuses to flush changes (they would be autocommitted one by
    one on PostgreSQL, outside the update's transaction)."""

    def flush(self, objects: Any = None) -> None:
        if self.new or self.deleted or self.dirty:
            raise ReadOnlyError("a read-only unit of work cannot write")
        super().flush(objects)


class UnitOfWorkFactory(Protocol):
    def __call__(self, read_only: bool = False, one_statement: bool = False) -> UnitOfWork:
        """A unit of work; `read_only=True`: only reads, no commit (on PostgreSQL without BEGIN/ROLLBACK:
        2 round trips fewer — each statement reads committed data, as it does inside a READ COMMITTED
        transaction). `one_statement=True`: for a use case that writes with a single statement, which is atomic
        on its own — on PostgreSQL it runs without BEGIN/COMMIT (2 round trips fewer); elsewhere as usual."""
        ...


def uow_factory(session_factory: async_sessionmaker[AsyncSession]) -> UnitOfWorkFactory:
    bind = session_factory.kw.get("bind")
    if bind is not None and bind.dialect.name == "postgresql":
        bind = bind.execution_options(isolation_level="AUTOCOMMIT")
    readers = async_sessionmaker(bind, expire_on_commit=False, sync_session_class=ReadOnlySession)
    single = async_sessionmaker(bind, expire_on_commit=False)

    def factory(read_only: bool = False, one_statement: bool = False) -> UnitOfWork:
        if read_only:
            return UnitOfWork(readers, read_only=True)
        return UnitOfWork(single if one_statement else session_factory)

    return factory
