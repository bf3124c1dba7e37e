"""Triage of Annex B reports (§51–52): received → assessed → reissue or no-change.

Every step is audited. Deciding "reissue" asks for the provider's one reissue for that
report and completes it (``services.reissue``); deciding again changes nothing, except
that a reissue left pending by an interrupted run is completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from codeservice.bootstrap import Container
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
from codeservice.services.incidents.reissue import (
    complete_reissue,
    prime_for_reissue,
    request_reissue,
)
from codeservice.services.incidents.reissue_views import ReissueReport
from codeservice.services.incidents.views import (
    IncidentView,
    find_report,
    get_report,
    incident_view,
)
from codeservice.services.operations import audit
from codeservice.storage.models import IncidentReport
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Decision:
    view: IncidentView
    already: bool  # the same decision had been made before: nothing changed
    reissue: ReissueReport | None


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
    caller's transaction (the caller commits)."""
    text = _checked_note(note)
    report = find_report(uow, reference, for_update=True)
    check_transition(report.reference, report.state, TriageState.ASSESSED)
    _assess(uow, keyring, report, actor=actor, source=source, note=text, now=now)
    return incident_view(uow, report)


def decide_report(
    container: Container,
    reference: str,
    *,
    decision: str,
    reason: str,
    actor: str,
    source: str,
    now: datetime,
) -> Decision:
    """assessed → reissue | no-change, with the reason (§52). A report still
    ``received`` is assessed in the same step. The same decision again changes nothing
    (a reissue still pending is completed); a different one is refused.

    It takes the container, not one unit of work: a reissue builds its documents
    between two transactions (``incidents.reissue``). Every record is stamped ``now``."""
    wanted = parse_decision(decision)
    text = check_decision_reason(reason)
    with container.uow() as uow:
        report = find_report(uow, reference, for_update=True)
        found = report.reference
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
                    _assess(
                        uow, container.keyring, report, actor=actor, source=source, note="", now=now
                    )
                else:
                    _decide(
                        uow,
                        container.keyring,
                        report,
                        step,
                        actor=actor,
                        source=source,
                        reason=text,
                        now=now,
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
            uow.commit()
        pending = (
            uow.incidents.reissue_for_incident(report.id) if wanted is TriageState.REISSUE else None
        )
        pending_id = None if pending is None else pending.id
    outcome = (
        None
        if pending_id is None
        else complete_reissue(container, pending_id, actor=actor, source=source, now=now)
    )
    with container.read_uow() as uow:
        view = get_report(uow, found)
    return Decision(view=view, already=already, reissue=outcome)


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
