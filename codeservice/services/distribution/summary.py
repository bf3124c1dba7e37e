"""The BMT summary after a rotation and after an activation: where the cycle stands."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Calendar, Cycle
from codeservice.domain.codes import CodeState
from codeservice.domain.wording import cycle_label, moment_text
from codeservice.emails import render
from codeservice.services.distribution.board import NOT_ISSUED
from codeservice.services.distribution.status import CycleStatus, cycle_status
from codeservice.services.mail import Mailroom, queue_for_bmt
from codeservice.services.operations import audit
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

Stage = Literal["rotation", "activation"]


@dataclass(frozen=True)
class Failure:
    provider_ref: str
    email: str
    error: str


@dataclass(frozen=True)
class IssueProblem:
    provider_ref: str
    reason: str


@dataclass
class CycleCounts:
    providers: int = 0
    codes: int = 0
    documents: int = 0
    documents_sent: int = 0
    documents_waiting: int = 0
    delivery_failures: int = 0
    acknowledgements: int = 0
    providers_acknowledged: int = 0
    unlock_sent: int = 0
    reissues: int = 0
    not_issued: list[str] = field(default_factory=list)
    issue_failures: list[IssueProblem] = field(default_factory=list)  # of not_issued
    without_spocs: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def count(status: CycleStatus) -> CycleCounts:
    """Counts over the codes that stand (a revoked code's replacement counts, not it)."""
    counts = CycleCounts(reissues=status.reissues)
    live = [p for p in status.providers if p.code_state != CodeState.REVOKED]
    counts.providers = len({p.ref for p in live})
    for provider in live:
        if provider.code_state == NOT_ISSUED:
            counts.not_issued.append(provider.ref)
            if provider.issue_error:
                counts.issue_failures.append(IssueProblem(provider.ref, provider.issue_error))
            continue
        counts.codes += 1
        if not provider.spocs:
            counts.without_spocs.append(provider.ref)
        if any(s.acknowledged_at for s in provider.spocs):
            counts.providers_acknowledged += 1
        for spoc in provider.spocs:
            counts.documents += 1
            counts.documents_sent += spoc.document_sent_at is not None
            counts.documents_waiting += spoc.document_state in {"queued", "sending"}
            counts.acknowledgements += spoc.acknowledged_at is not None
            counts.unlock_sent += spoc.unlock_sent_at is not None
            if spoc.delivery_error:
                counts.delivery_failures += 1
                counts.failures.append(Failure(provider.ref, spoc.email, spoc.delivery_error[:200]))
    return counts


def queue_summary(
    uow: UnitOfWork,
    mailroom: Mailroom,
    calendar: Calendar,
    cycle: Cycle,
    *,
    stage: Stage,
    actor: str,
    source: str,
    now: datetime,
) -> CycleCounts:
    """Queue the summary email to the BMT mailbox, once per cycle and stage, in the
    caller's transaction (the caller commits)."""
    tz = mailroom.tz
    dates = calendar.dates(cycle)
    counts = count(cycle_status(uow, cycle))
    key = f"summary:{stage}:{cycle}"
    if uow.outbox.is_queued(key):
        return counts
    # When the codes really went out (early, or late).
    first = [c.issued_at for c in uow.codes.for_cycle(cycle) if c.replaces_id is None]
    issued_at = min(first, default=dates.issue_at)
    rendered = render(
        "bmt_summary",
        {
            "stage": stage,
            "cycle": str(cycle),
            "cycle_label": cycle_label(cycle),
            "issued_at": moment_text(issued_at, tz),
            "active_from": moment_text(dates.active_from, tz),
            "counts": counts,
        },
    )
    message_id = queue_for_bmt(
        uow,
        mailroom,
        rendered,
        dedupe_key=key,
        category="bmt-summary",
        now=now,
    )
    audit.event(
        uow,
        mailroom.keyring,
        AuditTag.MAIL_SUMMARY_QUEUE,
        actor=actor,
        source=source,
        now=now,
        cycle=str(cycle),
        stage=stage,
        message=message_id,
        providers=counts.providers,
        documents_sent=counts.documents_sent,
        delivery_failures=counts.delivery_failures,
        not_issued=len(counts.not_issued),
        acknowledgements=counts.acknowledgements,
        reissues=counts.reissues,
    )
    return counts
