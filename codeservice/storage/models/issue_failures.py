"""Providers a rotation could not issue: why, and how often it was tried."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codeservice.domain.calendar import Cycle
from codeservice.storage.base import Base, CycleText, UTCDateTime
from codeservice.storage.models.register import Provider


class IssueFailure(Base):
    """One provider's code for one cycle that a rotation could not issue.

    Written in its own transaction when the provider's document or its commit fails,
    so that ``status``, the dashboard and the BMT summary show it after the run; a
    rerun that issues the code deletes the row in the same transaction. ``reason``
    is safe to show and mail: it never holds a code, an unlock code or a traceback.
    """

    __tablename__ = "issue_failures"
    __table_args__ = (UniqueConstraint("provider_id", "cycle"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    cycle: Mapped[Cycle] = mapped_column(CycleText, index=True)
    reason: Mapped[str] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    provider: Mapped[Provider] = relationship()
