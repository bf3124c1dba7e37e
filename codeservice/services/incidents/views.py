"""Annex B reports as the security team reads them: listed, found by reference, shown.

Receiving a report is ``incidents.reports``; triage is ``incidents.triage``.
Reading writes nothing: the caller opens a read unit of work (``container.read_uow()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from codeservice.domain.incidents import ReasonCategory, parse_reference
from codeservice.domain.triage import TriageState, waiting_time
from codeservice.errors import InputError, NotFound
from codeservice.services.staff.actors import actor_names
from codeservice.storage.models import IncidentReport
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class IncidentView:
    reference: str
    provider_ref: str
    provider_name: str
    subcontractor: str | None
    change_date: date
    reason: ReasonCategory
    details: str
    source: str
    reported_by: str
    reported_by_label: str  # the actor ids above and below, named for people
    received_at: datetime
    state: TriageState
    assessed_at: datetime | None
    assessed_by: str | None
    assessed_by_label: str | None
    assessment_note: str | None
    decided_at: datetime | None
    decided_by: str | None
    decided_by_label: str | None
    decision_reason: str | None
    reissue_id: int | None
    reissue_completed_at: datetime | None
    codes_replaced: int

    def waiting(self, now: datetime) -> timedelta:
        return waiting_time(self.received_at, self.decided_at, now)


def list_reports(uow: UnitOfWork, *, states: list[str] | None = None) -> list[IncidentView]:
    wanted = None if not states else [TriageState(s).value for s in states]
    return [incident_view(uow, r) for r in uow.incidents.reports(wanted)]


def get_report(uow: UnitOfWork, reference: str) -> IncidentView:
    return incident_view(uow, find_report(uow, reference))


def find_report(uow: UnitOfWork, reference: str, *, for_update: bool = False) -> IncidentReport:
    report = uow.incidents.by_reference(parse_reference(reference), for_update=for_update)
    if report is None:
        raise NotFound(f"there is no incident report {reference.strip().upper()}")
    return report


def incident_view(uow: UnitOfWork, report: IncidentReport) -> IncidentView:
    reissue = uow.incidents.reissue_for_incident(report.id)
    names = actor_names(uow, [report.reported_by, report.assessed_by, report.decided_by])
    return IncidentView(
        reference=report.reference,
        provider_ref=report.provider.ref,
        provider_name=report.provider.name,
        subcontractor=report.subcontractor,
        change_date=report.change_date,
        reason=ReasonCategory(report.reason),
        details=report.details
        if report.details_removed_at is None
        else "(removed at the end of its retention period)",
        source=report.source,
        reported_by=report.reported_by,
        reported_by_label=names[report.reported_by],
        received_at=report.received_at,
        state=report.state,
        assessed_at=report.assessed_at,
        assessed_by=report.assessed_by,
        assessed_by_label=names.get(report.assessed_by or ""),
        assessment_note=report.assessment_note,
        decided_at=report.decided_at,
        decided_by=report.decided_by,
        decided_by_label=names.get(report.decided_by or ""),
        decision_reason=report.decision_reason,
        reissue_id=None if reissue is None else reissue.id,
        reissue_completed_at=None if reissue is None else reissue.completed_at,
        codes_replaced=0 if reissue is None else reissue.codes_replaced,
    )


def parse_states(values: list[str]) -> list[str]:
    states = []
    for value in values:
        try:
            states.append(TriageState(value.strip().lower()).value)
        except ValueError:
            choices = ", ".join(s.value for s in TriageState)
            raise InputError(f"unknown state {value!r}: choose from {choices}") from None
    return states
