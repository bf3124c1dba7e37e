from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import and_, select, text, update
from sqlalchemy.orm import Session, selectinload

from codeservice.domain.codes import STANDING
from codeservice.domain.tokens import TokenPurpose
from codeservice.domain.triage import TriageState
from codeservice.storage.models import (
    AccessCode,
    Delivery,
    IncidentReport,
    LinkToken,
    Reissue,
)

_PG_REFERENCE_LOCK = 0x696E6364  # "incd": report references are numbered one at a time


class IncidentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- reports ----------------------------------------------------------------------

    def lock_references(self) -> None:
        """Serialise numbering; SQLite needs nothing (every transaction is BEGIN IMMEDIATE)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_REFERENCE_LOCK}
            )

    def last_number(self, year: int) -> int:
        prefix = f"INC-{year}-"
        references = self.session.scalars(
            select(IncidentReport.reference).where(IncidentReport.reference.startswith(prefix))
        )
        return max((int(r[len(prefix) :]) for r in references), default=0)

    def add(self, report: IncidentReport) -> None:
        self.session.add(report)
        self.session.flush()

    def by_reference(self, reference: str, *, for_update: bool = False) -> IncidentReport | None:
        query = (
            select(IncidentReport)
            .where(IncidentReport.reference == reference)
            .options(selectinload(IncidentReport.provider))
        )
        if for_update:
            query = query.with_for_update()
        return self.session.scalar(query)

    def reports(self, states: Collection[str] | None = None) -> list[IncidentReport]:
        query = (
            select(IncidentReport)
            .options(selectinload(IncidentReport.provider))
            .order_by(IncidentReport.received_at, IncidentReport.id)
        )
        if states:
            query = query.where(IncidentReport.state.in_(list(states)))
        return list(self.session.scalars(query))

    def open_report_like(
        self,
        provider_id: int,
        reported_by: str,
        *,
        subcontractor: str | None,
        change_date: date,
        reason: str,
        details: str,
    ) -> IncidentReport | None:
        """The earliest report from ``reported_by`` with exactly these answers that is
        still waiting for a decision (received or assessed), if there is one."""
        query = (
            select(IncidentReport)
            .where(
                IncidentReport.provider_id == provider_id,
                IncidentReport.reported_by == reported_by,
                IncidentReport.subcontractor.is_(None)
                if subcontractor is None
                else IncidentReport.subcontractor == subcontractor,
                IncidentReport.change_date == change_date,
                IncidentReport.reason == reason,
                IncidentReport.details == details,
                IncidentReport.state.in_([TriageState.RECEIVED, TriageState.ASSESSED]),
            )
            .options(selectinload(IncidentReport.provider))
            .order_by(IncidentReport.id)
            .limit(1)
        )
        return self.session.scalar(query)

    def received_from_since(self, reported_by: str, since: datetime) -> list[datetime]:
        """When each report sent by ``reported_by`` after ``since`` was received."""
        query = select(IncidentReport.received_at).where(
            IncidentReport.reported_by == reported_by, IncidentReport.received_at > since
        )
        return list(self.session.scalars(query))

    def live_report_link(
        self, spoc_id: int, purpose: TokenPurpose, *, valid_after: datetime
    ) -> LinkToken | None:
        """The SPoC's report link that is not replaced and lasts beyond ``valid_after``."""
        query = (
            select(LinkToken)
            .where(
                LinkToken.spoc_id == spoc_id,
                LinkToken.purpose == purpose,
                LinkToken.replaced_at.is_(None),
                LinkToken.expires_at > valid_after,
            )
            .order_by(LinkToken.expires_at.desc(), LinkToken.id.desc())
            .limit(1)
        )
        return self.session.scalar(query)

    def live_report_links(
        self, spoc_ids: Collection[int], purpose: TokenPurpose, *, valid_after: datetime
    ) -> dict[int, LinkToken]:
        """``live_report_link`` for several SPoCs in one query, by SPoC id."""
        query = (
            select(LinkToken)
            .where(
                LinkToken.spoc_id.in_(spoc_ids),
                LinkToken.purpose == purpose,
                LinkToken.replaced_at.is_(None),
                LinkToken.expires_at > valid_after,
            )
            .order_by(LinkToken.expires_at, LinkToken.id)  # the last one kept wins
        )
        return {link.spoc_id: link for link in self.session.scalars(query)}

    # --- reissues ---------------------------------------------------------------------

    def add_reissue(self, reissue: Reissue) -> None:
        self.session.add(reissue)
        self.session.flush()

    def get_reissue(self, reissue_id: int) -> Reissue | None:
        return self.session.get(Reissue, reissue_id)

    def reissue_completed_at(self, provider_id: int, at: datetime) -> Reissue | None:
        """The provider's reissue completed at ``at`` (the one that issued a code then)."""
        return self.session.scalar(
            select(Reissue).where(Reissue.provider_id == provider_id, Reissue.completed_at == at)
        )

    def reissue_for_incident(self, incident_id: int) -> Reissue | None:
        return self.session.scalar(select(Reissue).where(Reissue.incident_id == incident_id))

    def pending_reissue(self, provider_id: int) -> Reissue | None:
        query = (
            select(Reissue)
            .where(Reissue.provider_id == provider_id, Reissue.completed_at.is_(None))
            .order_by(Reissue.id)
            .limit(1)
        )
        return self.session.scalar(query)

    def reissue_completed_since(
        self, provider_id: int, since: datetime, *, other_than: int
    ) -> Reissue | None:
        query = (
            select(Reissue)
            .where(
                Reissue.provider_id == provider_id,
                Reissue.id != other_than,
                Reissue.completed_at >= since,
                Reissue.covered_by_id.is_(None),
            )
            .order_by(Reissue.completed_at)
            .limit(1)
        )
        return self.session.scalar(query)

    def revoked_at(self, provider_id: int, at: datetime) -> list[AccessCode]:
        query = (
            select(AccessCode)
            .where(AccessCode.provider_id == provider_id, AccessCode.revoked_at == at)
            .order_by(AccessCode.active_from, AccessCode.id)
        )
        return list(self.session.scalars(query))

    def reissues_between(self, start: datetime, end: datetime) -> list[Reissue]:
        query = (
            select(Reissue)
            .where(Reissue.completed_at >= start, Reissue.completed_at < end)
            .options(selectinload(Reissue.provider))
            .order_by(Reissue.completed_at)
        )
        return list(self.session.scalars(query))

    def codes_not_ended(self, provider_id: int, now: datetime) -> list[AccessCode]:
        """The provider's codes still to be used or in use: not revoked, not retired, not past."""
        query = (
            select(AccessCode)
            .where(
                AccessCode.provider_id == provider_id,
                AccessCode.state.in_(STANDING),
                AccessCode.active_until > now,
            )
            .order_by(AccessCode.active_from, AccessCode.id)
        )
        return list(self.session.scalars(query))

    def replacement_of(self, code_id: int) -> AccessCode | None:
        return self.session.scalar(select(AccessCode).where(AccessCode.replaces_id == code_id))

    def replace_links(self, code_ids: Collection[int], now: datetime) -> int:
        """Mark every live link of these codes' deliveries replaced by a reissue."""
        if not code_ids:
            return 0
        deliveries = select(Delivery.id).where(Delivery.access_code_id.in_(list(code_ids)))
        result = self.session.execute(
            update(LinkToken)
            .where(and_(LinkToken.delivery_id.in_(deliveries), LinkToken.replaced_at.is_(None)))
            .values(replaced_at=now, replaced_reason="reissued")
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
