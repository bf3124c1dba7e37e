"""Leader election: only the process holding the scheduler lease runs scheduled jobs.

The lease is one row in the database (``scheduler_lease``), so it works the same on
SQLite and PostgreSQL and through any connection pooler. The holder renews it every
third of its length; a process that dies stops renewing, and another takes it once it
has expired — within the lease length plus one renewal interval. Taking and renewing
are one transaction on a locked row (``SELECT ... FOR UPDATE`` on PostgreSQL, the
write lock on SQLite), so two processes never both hold it.

Expiry is judged by the clocks of the processes: hosts sharing a database must keep
time (NTP). The clock here is the real one, never the service's shifted test clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from codeservice.storage.models import SchedulerLease

log = logging.getLogger(__name__)

NAME = "scheduler"
Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Acquired:
    held: bool
    new: bool = False  # a new term (not a renewal)
    previous_holder: str | None = None


@dataclass(frozen=True)
class LeaseView:
    holder: str
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return self.expires_at > now


class Lease:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        holder: str,
        *,
        seconds: int,
        name: str = NAME,
        clock: Clock = wall_clock,
    ) -> None:
        self.sessions = sessions
        self.holder = holder
        self.length = timedelta(seconds=seconds)
        self.name = name
        self.clock = clock

    @property
    def renew_every(self) -> float:
        return self.length.total_seconds() / 3

    def acquire(self) -> Acquired:
        """Take the lease if it is free or expired, or renew it if it is ours."""
        try:
            with self.sessions.begin() as session:
                return self._acquire(session)
        except IntegrityError:
            return Acquired(held=False)  # another process created the row a moment before

    def _acquire(self, session: Session) -> Acquired:
        now = self.clock()
        row = session.get(SchedulerLease, self.name, with_for_update=True)
        if row is None:
            session.add(
                SchedulerLease(
                    name=self.name,
                    holder=self.holder,
                    acquired_at=now,
                    renewed_at=now,
                    expires_at=now + self.length,
                )
            )
            session.flush()
            return Acquired(held=True, new=True)
        if row.holder == self.holder and row.expires_at > now:
            row.renewed_at = now
            row.expires_at = now + self.length
            return Acquired(held=True)
        if row.expires_at > now:
            return Acquired(held=False)
        previous = row.holder if row.holder != self.holder else None
        row.holder = self.holder
        row.acquired_at = now
        row.renewed_at = now
        row.expires_at = now + self.length
        return Acquired(held=True, new=True, previous_holder=previous)

    def release(self) -> None:
        """Give the lease up at once (a clean stop), so another process takes over now."""
        now = self.clock()
        with self.sessions.begin() as session:
            session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                .values(expires_at=now)
            )


def current(session: Session, name: str = NAME) -> LeaseView | None:
    row = session.scalar(select(SchedulerLease).where(SchedulerLease.name == name))
    if row is None:
        return None
    return LeaseView(row.holder, row.acquired_at, row.renewed_at, row.expires_at)
