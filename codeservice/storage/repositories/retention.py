"""Retention queries: what is past its period, what comes next, and blanking it.

Every ``*_due`` answers ids of rows still holding personal data whose clock started
before ``cutoff``; every ``blank_*`` repeats that condition in its UPDATE, so running
it twice (or in two processes) changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from codeservice.domain.retention import MAIL_ACTIONS, PERSONAL_DETAILS, REDACTED
from codeservice.storage.models import AuditRecord, Delivery, IncidentReport, Spoc
from mailer.schema import CANCELLED, FAILED, SENT, from_db_time, to_db_time
from mailer.schema import outbox as _outbox
from mailer.schema import outbox_bodies as _outbox_bodies


@dataclass(frozen=True)
class Waiting:
    """Rows not yet due: how many, and when the oldest one's clock started."""

    count: int
    oldest: datetime | None


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RetentionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _ids(self, query: Select[Any], limit: int) -> list[int]:
        return list(self.session.scalars(query.limit(limit)))

    def _waiting(self, started: Any, *conditions: ColumnElement[bool]) -> Waiting:
        count, oldest = self.session.execute(
            select(func.count(), func.min(started)).where(*conditions)
        ).one()
        return Waiting(int(count), _utc(oldest))

    # --- sent mail (the outbox, a table of the mailer) ---------------------------------

    _mail_started = func.coalesce(_outbox.c.sent_at, _outbox.c.created_at)
    _mail_holding = and_(_outbox.c.state.in_([SENT, FAILED, CANCELLED]), _outbox.c.recipients != "")

    def mail_due(self, cutoff: datetime, limit: int) -> list[int]:
        query = (
            select(_outbox.c.id)
            .where(self._mail_holding, self._mail_started < to_db_time(cutoff))
            .order_by(_outbox.c.id)
        )
        return self._ids(query, limit)

    def mail_waiting(self, cutoff: datetime) -> Waiting:
        waiting = self._waiting(
            self._mail_started, self._mail_holding, self._mail_started >= to_db_time(cutoff)
        )
        return Waiting(waiting.count, from_db_time(waiting.oldest))

    def blank_mail(self, ids: Collection[int], cutoff: datetime) -> int:
        """Recipients, SMTP answers and errors go; a failed message's body goes with them."""
        due = and_(
            _outbox.c.id.in_(ids), self._mail_holding, self._mail_started < to_db_time(cutoff)
        )
        self.session.execute(
            delete(_outbox_bodies).where(
                _outbox_bodies.c.outbox_id.in_(select(_outbox.c.id).where(due))
            )
        )
        result = self.session.execute(
            update(_outbox).where(due).values(recipients="", smtp_response=None, last_error=None)
        )
        return _count(result)

    # --- acknowledgements ----------------------------------------------------------------

    _ack_holding = or_(
        Delivery.acknowledged_ip.is_not(None), Delivery.acknowledged_user_agent.is_not(None)
    )

    def acknowledgements_due(self, cutoff: datetime, limit: int) -> list[int]:
        query = (
            select(Delivery.id)
            .where(self._ack_holding, Delivery.acknowledged_at < cutoff)
            .order_by(Delivery.id)
        )
        return self._ids(query, limit)

    def acknowledgements_waiting(self, cutoff: datetime) -> Waiting:
        return self._waiting(
            Delivery.acknowledged_at, self._ack_holding, Delivery.acknowledged_at >= cutoff
        )

    def blank_acknowledgements(self, ids: Collection[int], cutoff: datetime) -> int:
        result = self.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), self._ack_holding, Delivery.acknowledged_at < cutoff)
            .values(acknowledged_ip=None, acknowledged_user_agent=None)
            .execution_options(synchronize_session=False)
        )
        return _count(result)

    # --- SPoCs taken off the register (their last change is their removal) -------------

    _spoc_holding = and_(Spoc.active.is_(False), Spoc.redacted_at.is_(None))

    def removed_spocs_due(self, cutoff: datetime, limit: int) -> list[int]:
        query = (
            select(Spoc.id).where(self._spoc_holding, Spoc.updated_at < cutoff).order_by(Spoc.id)
        )
        return self._ids(query, limit)

    def removed_spocs_waiting(self, cutoff: datetime) -> Waiting:
        return self._waiting(Spoc.updated_at, self._spoc_holding, Spoc.updated_at >= cutoff)

    def blank_removed_spocs(self, ids: Collection[int], cutoff: datetime, now: datetime) -> int:
        """The name and address go; the row stays for the deliveries that point at it.
        The address becomes one of its own (unique per provider) that cannot receive mail."""
        blanked = 0
        rows = self.session.scalars(
            select(Spoc).where(Spoc.id.in_(ids), self._spoc_holding, Spoc.updated_at < cutoff)
        )
        for spoc in rows:
            spoc.name = REDACTED
            spoc.email = f"removed-spoc-{spoc.id}@redacted.invalid"
            spoc.redacted_at = now
            blanked += 1
        self.session.flush()
        return blanked

    # --- incident descriptions (decided reports only) -----------------------------------

    _incident_holding = and_(
        IncidentReport.decided_at.is_not(None), IncidentReport.details_removed_at.is_(None)
    )

    def incidents_due(self, cutoff: datetime, limit: int) -> list[int]:
        query = (
            select(IncidentReport.id)
            .where(self._incident_holding, IncidentReport.decided_at < cutoff)
            .order_by(IncidentReport.id)
        )
        return self._ids(query, limit)

    def incidents_waiting(self, cutoff: datetime) -> Waiting:
        return self._waiting(
            IncidentReport.decided_at, self._incident_holding, IncidentReport.decided_at >= cutoff
        )

    def blank_incidents(self, ids: Collection[int], cutoff: datetime, now: datetime) -> int:
        result = self.session.execute(
            update(IncidentReport)
            .where(
                IncidentReport.id.in_(ids),
                self._incident_holding,
                IncidentReport.decided_at < cutoff,
            )
            .values(details="", details_removed_at=now)
            .execution_options(synchronize_session=False)
        )
        return _count(result)

    # --- audit records --------------------------------------------------------------------

    @staticmethod
    def _audit_kind(mail: bool) -> ColumnElement[bool]:
        """Records that may hold personal fields (the use case decides exactly, with
        ``domain.retention.redact_record``): mail records, or the others."""
        if mail:
            return and_(AuditRecord.redacted_at.is_(None), AuditRecord.action.in_(MAIL_ACTIONS))
        personal = or_(
            AuditRecord.action.in_(set(PERSONAL_DETAILS) - MAIL_ACTIONS),
            AuditRecord.source.contains("."),
            AuditRecord.source.contains(":"),
        )
        return and_(
            AuditRecord.redacted_at.is_(None), AuditRecord.action.not_in(MAIL_ACTIONS), personal
        )

    def audit_due(
        self,
        mail_cutoff: datetime,
        address_cutoff: datetime,
        after_seq: int,
        limit: int,
        *,
        lock: bool = True,
    ) -> list[AuditRecord]:
        """The next records past their period, by number; ``lock``: held until commit."""
        due = or_(
            and_(self._audit_kind(True), AuditRecord.at < mail_cutoff),
            and_(self._audit_kind(False), AuditRecord.at < address_cutoff),
        )
        query = (
            select(AuditRecord)
            .where(due, AuditRecord.seq > after_seq)
            .order_by(AuditRecord.seq)
            .limit(limit)
        )
        return list(self.session.scalars(query.with_for_update() if lock else query))

    def audit_waiting(self, mail: bool, cutoff: datetime) -> Waiting:
        """Mail records (or the others) that may hold personal fields, not yet due."""
        return self._waiting(AuditRecord.at, self._audit_kind(mail), AuditRecord.at >= cutoff)

    def redact_audit(
        self, row: AuditRecord, *, source: str, details: str, at: datetime, seal: str | None
    ) -> None:
        """Blank a record's personal fields; its salt goes too (version 2), or the seal
        vouches for what is left (version 1)."""
        row.source, row.details, row.redacted_at = source, details, at
        row.personal_salt, row.redaction_seal = None, seal
        self.session.flush()
