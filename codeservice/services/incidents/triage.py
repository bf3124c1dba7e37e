"""Triage of Annex B reports (§51–52): received → assessed → reissue or no-change.

Every step is audited. Deciding "reissue" asks for the provider's one reissue for that
report, which the caller completes once the decision is committed
(``incidents.reissue.complete_reissue``: it builds documents between transactions of
its own); deciding again changes nothing, except that the caller completes a reissue
left pending by an interrupted run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.domain.triage import (
    TriageState,
    check_decision_reason,
    check_transition,
    parse_decision,
    steps_to,
    waiting_time,
)
from codeservice.services.incidents.reissue import prime_for_reissue, request_reissue
from codeservice.services.incidents.views import IncidentView, find_report, incident_view
from codeservice.services.operations import audit
from codeservice.storage.models import IncidentReport
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Decision:
    view: IncidentView  # as decided, before the reissue (if any) is completed
    already: bool  # the same decision had been made before: nothing changed
    reissue_id: int | None  # the report's reissue, for the caller to complete


def assess_report(
    uow: UnitOfWork,
    keyring: Keyring,
    reference: str,
    *,
    actor: str,
    source: str,
    note: str = "",
    now: datetime,
) -> IncidentView:
    """received → assessed (§51): someone has looked at all the circumstances. In the
    caller's transaction (the caller commits). The same assessment again (a double
    click, a reload, a second tab: the same note) changes nothing, as a decision does;
    another note on a report already assessed is refused."""
    text = _checked_note(note)
    report = find_report(uow, reference, for_update=True)
    if report.state is TriageState.ASSESSED and (report.assessment_note or "") == text:
        return incident_view(uow, report)
    check_transition(report.reference, report.state, TriageState.ASSESSED)
    _assess(uow, keyring, report, actor=actor, source=source, note=text, now=now)
    return incident_view(uow, report)


def decide_report(
    uow: UnitOfWork,
    keyring: Keyring,
    reference: str,
    *,
    decision: str,
    reason: str,
    actor: str,
    source: str,
    now: datetime,
) -> Decision:
    """assessed → reissue | no-change, with the reason (§52), in the caller's
    transaction (the caller commits). A report still ``received`` is assessed in the
    same step. The same decision again changes nothing; a different one is refused.

    A "reissue" decision returns the report's reissue (asked for now, or before and
    perhaps left pending): the caller completes it after committing, with
    ``complete_reissue`` and the same ``now``, which does nothing if it is done."""
    wanted = parse_decision(decision)
    text = check_decision_reason(reason)
    report = find_report(uow, reference, for_update=True)
    current = report.state
    already = current is wanted
    if not already:
        if current.is_decided:
            check_transition(report.reference, current, wanted)  # raises: final
        if wanted is TriageState.REISSUE:
            provider = prime_for_reissue(uow, report.provider.ref)
            uow.register.lock_provider(provider.id)
        for step in steps_to(current, wanted):
            check_transition(report.reference, report.state, step)
            if step is TriageState.ASSESSED:
                _assess(uow, keyring, report, actor=actor, source=source, note="", now=now)
            else:
                _decide(
                    uow, keyring, report, step, actor=actor, source=source, reason=text, now=now
                )
        if wanted is TriageState.REISSUE:
            request_reissue(
                uow,
                provider=report.provider,
                reason=text,
                requested_by=actor,
                now=now,
                incident=report,
            )
    pending = (
        uow.incidents.reissue_for_incident(report.id) if wanted is TriageState.REISSUE else None
    )
    reissue_id = None if pending is None else pending.id
    return Decision(view=incident_view(uow, report), already=already, reissue_id=reissue_id)


def _assess(
    uow: UnitOfWork,
    keyring: Keyring,
    report: IncidentReport,
    *,
    actor: str,
    source: str,
    note: str,
    now: datetime,
) -> None:
    report.state = TriageState.ASSESSED
    report.assessed_at, report.assessed_by = now, actor
    report.assessment_note = note or None
    audit.event(
        uow,
        keyring,
        AuditTag.INCIDENT_REPORT_ASSESS,
        actor=actor,
        source=source,
        now=now,
        reference=report.reference,
        provider=report.provider.ref,
    )


def _decide(
    uow: UnitOfWork,
    keyring: Keyring,
    report: IncidentReport,
    decision: TriageState,
    *,
    actor: str,
    source: str,
    reason: str,
    now: datetime,
) -> None:
    report.state = decision
    report.decided_at, report.decided_by = now, actor
    report.decision_reason = reason
    audit.event(
        uow,
        keyring,
        AuditTag.INCIDENT_REPORT_DECIDE,
        actor=actor,
        source=source,
        now=now,
        reference=report.reference,
        provider=report.provider.ref,
        decision=decision.value,
        reason=reason,
        waited_seconds=int(waiting_time(report.received_at, now, now).total_seconds()),
    )


def _checked_note(note: str) -> str:
    text = note.strip()
    return check_decision_reason(text, label="the note", field="note") if text else ""
