"""The immediate reissue of one provider's codes (§53).

A reissue is asked for first (its row committed: by an incident decision, or by
``codeservice reissue``), then completed in ONE transaction: under a lock on the
provider, every code that has not ended is revoked and its links die, and each gets a
replacement with new document, new unlock code, new links and email 1 to every SPoC.
The replacement of the code in force works at once; the replacement of a next cycle's
code issued early keeps its own start. Documents are built before the transaction.

Killed at any point, a rerun finds the reissue either complete (nothing to do) or
still pending with nothing of it committed, and completes it: never a second
replacement for a code, never a second email.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.domain.codes import Alphabet
from codeservice.domain.incidents import check_decision_reason
from codeservice.domain.wording import reissue_reason
from codeservice.errors import Conflict, NotFound
from codeservice.services import audit
from codeservice.services.codes import draw_code_material
from codeservice.services.document_work import DocumentJob, make_document
from codeservice.services.issuing import PreparedCode, document_content, issue_to_spocs
from codeservice.storage.models import AccessCode, IncidentReport, Provider, Reissue
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


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
    completed_at: datetime | None = None


@dataclass(frozen=True)
class _CodePlan:
    code_id: int
    cycle: str
    in_force: bool
    active_from: datetime
    active_until: datetime


@dataclass(frozen=True)
class _Plan:
    reissue_id: int
    provider_id: int
    at: datetime
    codes: tuple[_CodePlan, ...]


def general_reason(reissue: Reissue) -> str:
    return reissue_reason(after_incident=reissue.incident_id is not None)


def prime_for_reissue(uow: UnitOfWork, provider_ref: str) -> Provider:
    provider = uow.register.get_provider(provider_ref.strip())
    if provider is None:
        raise NotFound(f"no provider with ref {provider_ref!r} is on the register")
    if provider.prime is not None:
        raise Conflict(
            f"{provider.ref} is a subcontractor of {provider.prime.ref}; access codes belong to "
            f"prime providers: reissue {provider.prime.ref}"
        )
    if not provider.active:
        raise Conflict(
            f"{provider.name} ({provider.ref}) is no longer active; it has no codes to reissue"
        )
    return provider


def request_reissue(
    uow: UnitOfWork,
    *,
    provider: Provider,
    reason: str,
    requested_by: str,
    now: datetime,
    incident: IncidentReport | None = None,
) -> Reissue:
    """The reissue to complete, inside the caller's transaction (flushed, not committed).

    An incident has at most one reissue, however often it is decided. Without an
    incident, a reissue of the provider still pending (a run that was killed) is
    taken up again rather than a second one started.
    """
    if incident is not None:
        existing = uow.incidents.reissue_for_incident(incident.id)
    else:
        existing = uow.incidents.pending_reissue(provider.id)
    if existing is not None:
        return existing
    if not uow.incidents.codes_not_ended(provider.id, now):
        raise Conflict(
            f"{provider.name} ({provider.ref}) has no access code in use or waiting to be "
            "used: there is nothing to reissue"
        )
    reissue = Reissue(
        provider_id=provider.id,
        incident_id=None if incident is None else incident.id,
        reason=reason,
        requested_by=requested_by,
        requested_at=now,
        codes_replaced=0,
    )
    uow.incidents.add_reissue(reissue)
    return reissue


def reissue_provider(
    container: Container, provider_ref: str, *, reason: str, actor: str, source: str
) -> ReissueReport:
    """``codeservice reissue REF --reason TEXT``: a reissue not tied to a report."""
    text = check_decision_reason(reason)
    with container.uow() as uow:
        provider = prime_for_reissue(uow, provider_ref)
        uow.incidents.lock_provider(provider.id)
        reissue = request_reissue(
            uow, provider=provider, reason=text, requested_by=actor, now=container.now()
        )
        reissue_id = reissue.id
        uow.commit()
    return complete_reissue(container, reissue_id, actor=actor, source=source)


def complete_reissue(
    container: Container, reissue_id: int, *, actor: str, source: str
) -> ReissueReport:
    """Revoke and replace; does nothing (and says so) if the reissue was completed."""
    for _ in range(MAX_ATTEMPTS):
        plan, done = _plan(container, reissue_id)
        if done is not None:
            return done
        assert plan is not None
        prepared = _prepare(container, plan)
        report = _commit(container, plan, prepared, actor=actor, source=source)
        if report is not None:
            return report
        log.info("reissue %s: the provider's codes changed meanwhile; planning again", reissue_id)
    raise Conflict(
        f"the provider's codes kept changing while reissue {reissue_id} ran; run it again"
    )


def _plan(container: Container, reissue_id: int) -> tuple[_Plan | None, ReissueReport | None]:
    at = container.now()
    with container.uow() as uow:
        reissue = uow.incidents.get_reissue(reissue_id)
        if reissue is None:
            raise NotFound(f"there is no reissue {reissue_id}")
        if reissue.completed_at is not None:
            return None, _completed_report(uow, reissue)
        codes = uow.incidents.codes_not_ended(reissue.provider_id, at)
        return (
            _Plan(
                reissue_id=reissue.id,
                provider_id=reissue.provider_id,
                at=at,
                codes=tuple(
                    _CodePlan(
                        code_id=code.id,
                        cycle=code.cycle,
                        in_force=code.active_from <= at,
                        active_from=at if code.active_from <= at else code.active_from,
                        active_until=code.active_until,
                    )
                    for code in codes
                ),
            ),
            None,
        )


def _prepare(container: Container, plan: _Plan) -> dict[int, PreparedCode]:
    """Draw each replacement and build its encrypted document (no transaction open)."""
    alphabet = Alphabet.from_excluded(container.settings.code_excluded_characters)
    with container.uow() as uow:
        provider = uow.session.get(Provider, plan.provider_id)
        reissue = uow.incidents.get_reissue(plan.reissue_id)
        assert provider is not None and reissue is not None
        reason = general_reason(reissue)
        contents = {}
        for code in plan.codes:
            material = draw_code_material(alphabet, provider.ref, code.cycle)
            contents[code.code_id] = (
                material,
                document_content(
                    provider,
                    cycle=code.cycle,
                    active_from=code.active_from,
                    active_until=code.active_until,
                    issued_at=plan.at,
                    material=material,
                    reissue_reason=reason,
                ),
            )
    prepared = {}
    for code_id, (material, content) in contents.items():
        document = make_document(DocumentJob(content=content, unlock_code=material.unlock_code))
        prepared[code_id] = PreparedCode(material=material, document=document.data)
    return prepared


def _commit(
    container: Container,
    plan: _Plan,
    prepared: dict[int, PreparedCode],
    *,
    actor: str,
    source: str,
) -> ReissueReport | None:
    """The one transaction; None when the codes to replace are no longer those planned."""
    at = plan.at
    key = container.keyring.audit_key
    with container.uow() as uow:
        provider = uow.incidents.lock_provider(plan.provider_id)
        reissue = uow.incidents.get_reissue(plan.reissue_id)
        assert provider is not None and reissue is not None
        if reissue.completed_at is not None:  # another process finished it meanwhile
            return _completed_report(uow, reissue)
        report = ReissueReport(
            reissue_id=reissue.id,
            provider_ref=provider.ref,
            provider_name=provider.name,
            incident_reference=None if reissue.incident is None else reissue.incident.reference,
        )
        covering = uow.incidents.reissue_completed_since(
            provider.id, reissue.requested_at, other_than=reissue.id
        )
        if covering is not None:
            reissue.covered_by_id = covering.id
            report.covered_by = covering.id
            return _finish(uow, container, reissue, report, actor=actor, source=source, at=at)

        codes = uow.incidents.codes_not_ended(provider.id, at)
        if [c.id for c in codes] != [c.code_id for c in plan.codes]:
            return None
        for code in codes:
            code.state = "revoked"
            code.revoked_at = at
        uow.session.flush()  # frees each cycle for its replacement
        links = uow.incidents.replace_links([c.id for c in codes], at)
        reason = general_reason(reissue)
        for code, code_plan in zip(codes, plan.codes, strict=True):
            issued = issue_to_spocs(
                uow,
                container,
                provider=provider,
                cycle=code.cycle,
                issue_at=at,
                active_from=code_plan.active_from,
                active_until=code.active_until,
                state="active" if code_plan.in_force else "issued",
                prepared=prepared[code.id],
                now=at,
                replaces=code,
                reissue_reason=reason,
            )
            new = issued.access_code
            report.replaced.append(
                ReplacedCode(
                    cycle=code.cycle,
                    revoked_document_ref=code.document_ref,
                    new_document_ref=new.document_ref,
                    new_state=new.state,
                    active_from=new.active_from,
                    active_until=new.active_until,
                )
            )
            report.spocs = issued.spocs
            report.emails_queued += issued.emails_queued
            common = {"provider": provider.ref, "cycle": code.cycle, "reissue": reissue.id}
            audit.record(
                uow,
                key,
                actor=actor,
                action=AuditTag.CODE_ACCESS_REVOKE,
                source=source,
                details={**common, "document_ref": code.document_ref},
                now=container.now(),
            )
            audit.record(
                uow,
                key,
                actor=actor,
                action=AuditTag.CODE_ACCESS_ISSUE,
                source=source,
                details={
                    **common,
                    "document_ref": new.document_ref,
                    "key_id": new.key_id,
                    "replaces": code.document_ref,
                    "active_from": new.active_from.isoformat(),
                    "emails_queued": issued.emails_queued,
                },
                now=container.now(),
            )
        reissue.codes_replaced = len(codes)
        log.info(
            "reissue %s for %s: %d codes revoked and replaced, %d links replaced",
            reissue.id,
            provider.ref,
            len(codes),
            links,
        )
        return _finish(uow, container, reissue, report, actor=actor, source=source, at=at)


def _finish(
    uow: UnitOfWork,
    container: Container,
    reissue: Reissue,
    report: ReissueReport,
    *,
    actor: str,
    source: str,
    at: datetime,
) -> ReissueReport:
    reissue.completed_at = at
    report.completed_at = at
    audit.record(
        uow,
        container.keyring.audit_key,
        actor=actor,
        action=AuditTag.CODE_ACCESS_REISSUE,
        source=source,
        details={
            "provider": report.provider_ref,
            "reissue": reissue.id,
            "incident": report.incident_reference,
            "reason": reissue.reason,
            "requested_by": reissue.requested_by,
            "requested_at": reissue.requested_at.isoformat(),
            "codes_replaced": reissue.codes_replaced,
            "replaced": [r.revoked_document_ref for r in report.replaced],
            "covered_by": report.covered_by,
            "emails_queued": report.emails_queued,
        },
        now=container.now(),
    )
    uow.commit()
    return report


def _completed_report(uow: UnitOfWork, reissue: Reissue) -> ReissueReport:
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
        for old in uow.incidents.revoked_at(provider.id, reissue.completed_at):
            new = uow.incidents.replacement_of(old.id)
            if new is not None:
                report.replaced.append(_replaced(old, new))
    return report


def _replaced(old: AccessCode, new: AccessCode) -> ReplacedCode:
    return ReplacedCode(
        cycle=old.cycle,
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


def reissues_between(container: Container, start: datetime, end: datetime) -> list[ReissueView]:
    """Reissues completed in ``[start, end)`` that replaced codes (for the BMT summary)."""
    with container.uow() as uow:
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
