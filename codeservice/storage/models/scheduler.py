"""What the scheduler did, and which process may act as the scheduler."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from codeservice.storage.base import Base, UTCDateTime


class JobRun(Base):
    """One run of a scheduled job for one occurrence (``issue`` of ``2027-04``...).

    Unique per job and key, so a job that fires twice, or late, runs once; a row
    without ``finished_at`` is a run that failed or whose process died, and is retried.
    """

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # running, done, failed
    detail: Mapped[str] = mapped_column(String(500), default="")
    holder: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    caught_up: Mapped[bool] = mapped_column(Boolean, default=False)


class SchedulerLease(Base):
    """Who may run scheduled jobs: the holder until ``expires_at``, renewed while alive."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
