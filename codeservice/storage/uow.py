"""The unit of work: one transaction, with the repositories that work inside it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from codeservice.storage.audit_anchor import CREATE_ANCHOR, note_append
from codeservice.storage.repositories.audit import AuditRepository, holds_unwritten

if TYPE_CHECKING:
    from codeservice.storage.models import AuditRecord
    from codeservice.storage.repositories.accounts import AccountRepository
    from codeservice.storage.repositories.codes import AccessCodeRepository
    from codeservice.storage.repositories.distribution import DeliveryRepository
    from codeservice.storage.repositories.downloads import DownloadRepository
    from codeservice.storage.repositories.helpline import HelplineRepository
    from codeservice.storage.repositories.incidents import IncidentRepository
    from codeservice.storage.repositories.notices import NoticeRepository
    from codeservice.storage.repositories.outbox import OutboxRepository
    from codeservice.storage.repositories.register import RegisterRepository
    from codeservice.storage.repositories.retention import RetentionRepository
    from codeservice.storage.repositories.second_factors import SecondFactorRepository
    from codeservice.storage.repositories.throttles import ThrottleRepository

T = TypeVar("T")


class ReadOnlyWork(RuntimeError):
    """A unit of work opened to read was asked to write: a use case took the wrong one."""


_READ_ONLY = "codeservice.read_only"
_REPOSITORIES = (
    "audit", "register", "codes", "deliveries", "accounts", "helpline", "incidents",
    "downloads", "throttles", "outbox", "retention", "notices", "second_factors",
)  # fmt: skip


@event.listens_for(Session, "before_flush")
def _refuse_reader_flush(session: Session, _context: object, _instances: object) -> None:
    """A repository's own flush, or an autoflush, in a read unit of work fails here,
    before the database is asked, with the same clear error."""
    if session.info.get(_READ_ONLY):
        raise ReadOnlyWork(
            "cannot write: this unit of work only reads (container.read_uow());"
            " a use case that writes takes container.uow()"
        )


class UnitOfWork:
    """``with uow: ...; uow.commit()`` — anything not committed is rolled back."""

    session: Session

    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False) -> None:
        self._session_factory = session_factory
        self.read_only = read_only

    def __enter__(self) -> UnitOfWork:
        session = self._session_factory()
        if self.read_only:
            session.info[_READ_ONLY] = True
        self._bind(session)
        return self

    def _bind(self, session: Session) -> None:
        self.session = session
        for name in _REPOSITORIES:  # made afresh over each session, when first used
            self.__dict__.pop(name, None)

    # Each repository's module is imported when a unit of work first uses it: a command
    # that sends mail does not load the helpline's or the register's queries.

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.session)

    @cached_property
    def register(self) -> RegisterRepository:
        from codeservice.storage.repositories.register import RegisterRepository

        return RegisterRepository(self.session)

    @cached_property
    def codes(self) -> AccessCodeRepository:
        from codeservice.storage.repositories.codes import AccessCodeRepository

        return AccessCodeRepository(self.session)

    @cached_property
    def deliveries(self) -> DeliveryRepository:
        from codeservice.storage.repositories.distribution import DeliveryRepository

        return DeliveryRepository(self.session)

    @cached_property
    def accounts(self) -> AccountRepository:
        from codeservice.storage.repositories.accounts import AccountRepository

        return AccountRepository(self.session)

    @cached_property
    def helpline(self) -> HelplineRepository:
        from codeservice.storage.repositories.helpline import HelplineRepository

        return HelplineRepository(self.session)

    @cached_property
    def incidents(self) -> IncidentRepository:
        from codeservice.storage.repositories.incidents import IncidentRepository

        return IncidentRepository(self.session)

    @cached_property
    def downloads(self) -> DownloadRepository:
        from codeservice.storage.repositories.downloads import DownloadRepository

        return DownloadRepository(self.session)

    @cached_property
    def throttles(self) -> ThrottleRepository:
        from codeservice.storage.repositories.throttles import ThrottleRepository

        return ThrottleRepository(self.session)

    @cached_property
    def outbox(self) -> OutboxRepository:
        from codeservice.storage.repositories.outbox import OutboxRepository

        return OutboxRepository(self.session)

    @cached_property
    def retention(self) -> RetentionRepository:
        from codeservice.storage.repositories.retention import RetentionRepository

        return RetentionRepository(self.session)

    @cached_property
    def notices(self) -> NoticeRepository:
        from codeservice.storage.repositories.notices import NoticeRepository

        return NoticeRepository(self.session)

    @cached_property
    def second_factors(self) -> SecondFactorRepository:
        from codeservice.storage.repositories.second_factors import SecondFactorRepository

        return SecondFactorRepository(self.session)

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

    def flush(self) -> None:
        """Send the pending changes now (ids assigned, constraints checked), in this
        transaction."""
        self._may_write("flush")
        self.session.flush()

    def append_audit(self, row: AuditRecord, chain_key: bytes) -> None:
        """Add an audit record; the anchor follows it when this transaction commits."""
        self.audit.append(row)
        note_append(self.session, chain_key, row.seq, row.hash, row.prev_hash)

    def append_audits(self, rows: list[AuditRecord], chain_key: bytes) -> None:
        """``append_audit`` for records that follow on from each other, in one flush."""
        self.audit.append_many(rows)
        for row in rows:
            note_append(self.session, chain_key, row.seq, row.hash, row.prev_hash)

    def create_anchor(self) -> None:
        """Let this transaction's audit append create the anchor file if there is none."""
        self.session.info[CREATE_ANCHOR] = True

    def commit(self) -> None:
        self._may_write("commit")
        if holds_unwritten(self.session):  # a use case's mistake: refuse, lose nothing
            raise RuntimeError("a write held for the next audit record was never appended")
        self.session.commit()

    def _may_write(self, step: str) -> None:
        if self.read_only:
            raise ReadOnlyWork(
                f"cannot {step}: this unit of work only reads (container.read_uow());"
                " a use case that writes takes container.uow()"
            )

    def rollback(self) -> None:
        self.session.rollback()

    @contextmanager
    def savepoint(self, *, keep: bool = True) -> Iterator[None]:
        """A part of this transaction undone on its own: when the block raises (the
        error goes on, the transaction stays usable), and always when ``keep`` is
        false — a dry run, whose changes are read and then dropped."""
        self._may_write("open a savepoint in")
        nested = self.session.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()  # a failed flush leaves it inactive, still to roll back
            raise
        if keep:
            nested.commit()
        else:
            nested.rollback()


def joined(use: Callable[[UnitOfWork, T], None]) -> Callable[[Session, T], None]:
    """A callback for code that hands over its own session (the mail worker's outcome
    hook): ``use`` gets the repositories over that session, in its transaction, and
    commits nothing."""

    def callback(session: Session, argument: T) -> None:
        uow = UnitOfWork.__new__(UnitOfWork)
        uow.read_only = False
        uow._bind(session)
        use(uow, argument)

    return callback
