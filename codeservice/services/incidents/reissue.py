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

Here: asking for a reissue, and completing it — plan, build the documents, then the
transaction (``reissue_commit``), planning again if the codes changed meanwhile. What a
reissue did is ``reissue_views``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import Alphabet, CodeState
from codeservice.domain.text import check_usable
from codeservice.domain.triage import check_decision_reason
from codeservice.errors import Conflict, NotFound
from codeservice.services.distribution.codes import draw_code_material
from codeservice.services.distribution.document_work import DocumentJob, make_document
from codeservice.services.distribution.issuing import Issuer, PreparedCode, document_content
from codeservice.services.incidents.reissue_commit import (
    CodePlan,
    Plan,
    commit_reissue,
    general_reason,
)
from codeservice.services.incidents.reissue_views import ReissueReport, completed_report
from codeservice.storage.models import IncidentReport, Provider, Reissue
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


def prime_for_reissue(uow: UnitOfWork, provider_ref: str) -> Provider:
    ref = check_usable(provider_ref.strip(), field="provider", label="the provider's ref")
    provider = uow.register.get_provider(ref)
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


@dataclass(frozen=True)
class CodeToReplace:
    """A code a reissue would revoke, as a confirmation page shows it."""

    cycle: Cycle
    document_ref: str
    state: CodeState
    active_from: datetime
    active_until: datetime


def codes_to_replace(
    uow: UnitOfWork, provider_ref: str, *, now: datetime
) -> tuple[str, str, list[CodeToReplace]]:
    """The prime provider's ref and name, and what reissuing it at ``now`` would replace
    (reads only)."""
    provider = prime_for_reissue(uow, provider_ref)
    codes = [
        CodeToReplace(c.cycle, c.document_ref, c.state, c.active_from, c.active_until)
        for c in uow.incidents.codes_not_ended(provider.id, now)
    ]
    return provider.ref, provider.name, codes


class CodesChanged(Conflict):
    """The provider's codes are no longer those the person confirming saw."""


def request_provider_reissue(
    uow: UnitOfWork,
    provider_ref: str,
    *,
    reason: str,
    actor: str,
    now: datetime,
    shown: Collection[str] | None = None,
) -> int:
    """``codeservice reissue REF --reason TEXT``: a reissue not tied to a report, asked
    for in the caller's transaction (the caller commits). Its id: the caller completes
    it after committing, with ``complete_reissue`` and the same ``now``.

    ``shown`` — the document references of the codes a confirmation page listed —
    makes it conditional: if they have been replaced since, nothing more is done
    (``CodesChanged``), so a form sent twice reissues once.
    """
    text = check_decision_reason(reason)
    provider = prime_for_reissue(uow, provider_ref)
    uow.register.lock_provider(provider.id)
    if shown is not None:
        current = uow.incidents.codes_not_ended(provider.id, now)
        if {code.document_ref for code in current} != set(shown):
            raise CodesChanged(
                f"The codes of {provider.name} ({provider.ref}) have changed since the "
                "page was shown: they have been replaced already"
            )
    reissue = request_reissue(uow, provider=provider, reason=text, requested_by=actor, now=now)
    return reissue.id


def complete_reissue(
    reading: Callable[[], UnitOfWork],
    writing: Callable[[], UnitOfWork],
    issuer: Issuer,
    reissue_id: int,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> ReissueReport:
    """Revoke and replace; does nothing (and says so) if the reissue was completed.
    Everything it revokes, issues and audits is stamped ``now``. It plans and builds the
    documents in units of work from ``reading``, and commits in one from ``writing``."""
    for _ in range(MAX_ATTEMPTS):
        plan, done = _plan(reading, reissue_id, now)
        if done is not None:
            return done
        assert plan is not None
        prepared = _prepare(reading, issuer.alphabet, plan)
        report = commit_reissue(writing, issuer, plan, prepared, actor=actor, source=source)
        if report is not None:
            return report
        log.info("reissue %s: the provider's codes changed meanwhile; planning again", reissue_id)
    raise Conflict(
        f"the provider's codes kept changing while reissue {reissue_id} ran; run it again"
    )


def _plan(
    reading: Callable[[], UnitOfWork], reissue_id: int, at: datetime
) -> tuple[Plan | None, ReissueReport | None]:
    with reading() as uow:  # the plan only reads; the commit checks it
        reissue = uow.incidents.get_reissue(reissue_id)
        if reissue is None:
            raise NotFound(f"there is no reissue {reissue_id}")
        if reissue.completed_at is not None:
            return None, completed_report(uow, reissue)
        codes = uow.incidents.codes_not_ended(reissue.provider_id, at)
        return (
            Plan(
                reissue_id=reissue.id,
                provider_id=reissue.provider_id,
                at=at,
                codes=tuple(
                    CodePlan(
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


def _prepare(
    reading: Callable[[], UnitOfWork], alphabet: Alphabet, plan: Plan
) -> dict[int, PreparedCode]:
    """Draw each replacement and build its encrypted document (no transaction open)."""
    with reading() as uow:
        provider = uow.register.provider_by_id(plan.provider_id)
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
