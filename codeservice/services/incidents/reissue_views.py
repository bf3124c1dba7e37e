"""What a reissue did, as its callers read it.

``ReissueReport`` is the answer of every completion, including one that finds the
reissue already complete (rebuilt here from the revoked codes and their replacements);
``reissues_between`` lists the reissues that replaced codes, for the BMT summary.
Reading writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from codeservice.services.distribution.notifications import cancelled_mail_of_codes
from codeservice.storage.models import AccessCode, Reissue
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class ReplacedCode:
    cycle: str
    revoked_document_ref: str
    new_document_ref: str
    new_state: str
    active_from: datetime
    active_until: datetime


@dataclass
class ReissueReport:
    reissue_id: int
    provider_ref: str
    provider_name: str
    incident_reference: str | None
    already_done: bool = False
    covered_by: int | None = None
    replaced: list[ReplacedCode] = field(default_factory=list)
    spocs: int = 0
    emails_queued: int = 0
    emails_cancelled: int = 0  # unsent emails of the revoked codes, stopped
    completed_at: datetime | None = None


def completed_report(uow: UnitOfWork, reissue: Reissue) -> ReissueReport:
    provider = reissue.provider
    report = ReissueReport(
        reissue_id=reissue.id,
        provider_ref=provider.ref,
        provider_name=provider.name,
        incident_reference=None if reissue.incident is None else reissue.incident.reference,
        already_done=True,
        covered_by=reissue.covered_by_id,
        completed_at=reissue.completed_at,
    )
    if reissue.completed_at is not None and reissue.covered_by_id is None:
        revoked = uow.incidents.revoked_at(provider.id, reissue.completed_at)
        for old in revoked:
            new = uow.incidents.replacement_of(old.id)
            if new is not None:
                report.replaced.append(_replaced(old, new))
        report.emails_cancelled = cancelled_mail_of_codes(uow, [old.id for old in revoked])
    return report


def _replaced(old: AccessCode, new: AccessCode) -> ReplacedCode:
    return ReplacedCode(
        cycle=str(old.cycle),
        revoked_document_ref=old.document_ref,
        new_document_ref=new.document_ref,
        new_state=new.state,
        active_from=new.active_from,
        active_until=new.active_until,
    )


@dataclass(frozen=True)
class ReissueView:
    reissue_id: int
    provider_ref: str
    provider_name: str
    incident_reference: str | None
    requested_at: datetime
    completed_at: datetime | None
    codes_replaced: int


def reissues_between(uow: UnitOfWork, start: datetime, end: datetime) -> list[ReissueView]:
    """Reissues completed in ``[start, end)`` that replaced codes (for the BMT summary)."""
    return [
        ReissueView(
            reissue_id=r.id,
            provider_ref=r.provider.ref,
            provider_name=r.provider.name,
            incident_reference=None if r.incident is None else r.incident.reference,
            requested_at=r.requested_at,
            completed_at=r.completed_at,
            codes_replaced=r.codes_replaced,
        )
        for r in uow.incidents.reissues_between(start, end)
        if r.codes_replaced
    ]
