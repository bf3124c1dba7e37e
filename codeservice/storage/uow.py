"""The unit of work: one transaction, with the repositories that work inside it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from codeservice.storage.repositories.accounts import AccountRepository
from codeservice.storage.repositories.audit import AuditRepository
from codeservice.storage.repositories.codes import AccessCodeRepository
from codeservice.storage.repositories.distribution import DeliveryRepository
from codeservice.storage.repositories.downloads import DownloadRepository
from codeservice.storage.repositories.helpline import HelplineRepository
from codeservice.storage.repositories.incidents import IncidentRepository
from codeservice.storage.repositories.notices import NoticeRepository
from codeservice.storage.repositories.register import RegisterRepository
from codeservice.storage.repositories.retention import RetentionRepository
from codeservice.storage.repositories.throttles import ThrottleRepository


class UnitOfWork:
    """``with uow: ...; uow.commit()`` — anything not committed is rolled back."""

    session: Session

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self.register = RegisterRepository(self.session)
        self.codes = AccessCodeRepository(self.session)
        self.deliveries = DeliveryRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.accounts = AccountRepository(self.session)
        self.helpline = HelplineRepository(self.session)
        self.incidents = IncidentRepository(self.session)
        self.downloads = DownloadRepository(self.session)
        self.throttles = ThrottleRepository(self.session)
        self.retention = RetentionRepository(self.session)
        self.notices = NoticeRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def refresh(self, *rows: object) -> None:
        """Read these rows again, as they are now (after taking a lock, say)."""
        for row in rows:
            self.session.refresh(row)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
