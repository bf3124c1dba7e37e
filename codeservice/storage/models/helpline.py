"""Helpline verification: challenges put to callers and locks after repeated fails.

Nothing here holds a code character: a challenge keeps the positions asked and the
result, never what the caller said.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codeservice.storage.base import Base, UTCDateTime
from codeservice.storage.models.codes import AccessCode
from codeservice.storage.models.register import Provider


class Challenge(Base):
    """Three positions of a prime provider's code, asked once, answered at most once.

    ``access_code_id`` is the code in force when the challenge was put; the answer is
    checked against the code in force when it is given (``answered_code_id``), which
    differs when the cycle switches or a reissue happens in between. Exposure is
    counted on ``answered_code_id``.
    """

    __tablename__ = "challenges"
    __table_args__ = (
        CheckConstraint("result IN ('pass', 'fail')", name="result"),
        Index("ix_challenges_provider_created", "provider_id", "created_at"),
        # A prime's fails today (the lock rule) found without reading its whole history.
        Index("ix_challenges_provider_result_answered", "provider_id", "result", "answered_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    asked_for_provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    access_code_id: Mapped[int] = mapped_column(ForeignKey("access_codes.id"), index=True)
    agent: Mapped[str] = mapped_column(String(255))
    positions: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    answered_code_id: Mapped[int | None] = mapped_column(ForeignKey("access_codes.id"), index=True)
    result: Mapped[str | None] = mapped_column(String(8))

    provider: Mapped[Provider] = relationship(foreign_keys=[provider_id])
    asked_for: Mapped[Provider] = relationship(foreign_keys=[asked_for_provider_id])
    access_code: Mapped[AccessCode] = relationship(foreign_keys=[access_code_id])


class VerificationLock(Base):
    """A prime provider's verification stopped for one local day after repeated fails.

    Open while ``unlocked_at`` is empty; at most one open lock per provider and day.
    """

    __tablename__ = "verification_locks"
    __table_args__ = (
        Index(
            "uq_verification_locks_provider_day_open",
            "provider_id",
            "day",
            unique=True,
            sqlite_where=text("unlocked_at IS NULL"),
            postgresql_where=text("unlocked_at IS NULL"),
        ),
        Index("ix_verification_locks_provider_day", "provider_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    fails: Mapped[int] = mapped_column(Integer)
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unlocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unlocked_by: Mapped[str | None] = mapped_column(String(255))

    provider: Mapped[Provider] = relationship()
