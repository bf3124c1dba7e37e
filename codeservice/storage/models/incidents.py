"""Annex B incident reports and the reissues they lead to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codeservice.domain.triage import TriageState
from codeservice.storage.base import Base, UTCDateTime, state_column
from codeservice.storage.models.register import Provider


class IncidentReport(Base):
    """A Potential Security Incident proforma (Annex B) and its triage (§51–52).

    ``details`` is checked to hold no e-mail address, phone or National Insurance
    number; it is not a secret, but it stays out of emails and audit records.
    ``reported_by`` is ``spoc:<id>`` for a report sent from a SPoC's link, or the
    member of staff who entered a proforma received by email.
    """

    __tablename__ = "incident_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    subcontractor: Mapped[str | None] = mapped_column(String(255))
    change_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(32))
    details: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # "spoc-link", "security-team"
    reported_by: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    state: Mapped[TriageState] = mapped_column(state_column(TriageState, 16), index=True)
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assessed_by: Mapped[str | None] = mapped_column(String(255))
    assessment_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    alert_message_id: Mapped[int | None] = mapped_column(Integer)
    # When retention removed ``details`` (the description), past its period after the decision.
    details_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider: Mapped[Provider] = relationship()


class Reissue(Base):
    """An immediate reissue of one provider's codes (§53).

    Requested first (committed), then completed in one transaction that revokes every
    code not ended and creates their replacements. ``incident_id`` is unique: one
    reissue per report however often it is decided, and a run killed before
    ``completed_at`` was set is finished by the next one instead of starting another.
    """

    __tablename__ = "reissues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident_reports.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(255))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    codes_replaced: Mapped[int] = mapped_column(Integer, default=0)
    # Set when another reissue, completed after this one was asked for, already
    # replaced every code this one would have: nothing more was done.
    covered_by_id: Mapped[int | None] = mapped_column(ForeignKey("reissues.id"))

    provider: Mapped[Provider] = relationship()
    incident: Mapped[IncidentReport | None] = relationship()
