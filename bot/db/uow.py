"""Unit of work: one database transaction per Telegram update (cosmicpython's pattern).

    async with uow_factory() as uow:
        user = await uow.users.touch(...)
        uow.questions.add(...)
        await uow.commit()

Leaving the block without `commit()` — or with an exception — rolls everything back, so a failing
handler never leaves half an update in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.surveys.repository import SurveyRepository
from bot.staff.audit import AuditRepository
from bot.staff.repositories import HandoffDeliveryRepository, StaffRepository

from .repositories import HandoffRepository, QuestionRepository, RatingRepository, UserRepository


class UnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self.session: AsyncSession | None = None

    async def __aenter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        self.users = UserRepository(self.session)
        self.questions = QuestionRepository(self.session)
        self.ratings = RatingRepository(self.session)
        self.handoffs = HandoffRepository(self.session)
        self.surveys = SurveyRepository(self.session)
        self.audit = AuditRepository(self.session)  # staff actions
        self.staff = StaffRepository(self.session)  # staff review queries
        self.handoff_deliveries = HandoffDeliveryRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self.session is not None
        # close() rolls back whatever was not committed and detaches the loaded objects *without*
        # expiring them, so handlers may still read e.g. a user's language after the block.
        await self.session.close()

    async def commit(self) -> None:
        assert self.session is not None
        await self.session.commit()

    async def flush(self) -> None:
        """Assign ids (e.g. a question's id for its rating buttons) without committing."""
        assert self.session is not None
        await self.session.flush()


UnitOfWorkFactory = Callable[[], UnitOfWork]


def uow_factory(session_factory: async_sessionmaker[AsyncSession]) -> UnitOfWorkFactory:
    return lambda: UnitOfWork(session_factory)
