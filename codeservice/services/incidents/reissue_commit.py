"""The one transaction that completes a reissue (§53), carrying out a plan.

Under a lock on the provider: a reissue completed meanwhile by another process is only
reported; one whose codes were already replaced by another reissue completed since it
was asked for is marked covered; if the codes not ended are no longer those planned it
gives up (``None``) so that the caller plans again. Otherwise every code is revoked, its
links replaced, its unsent emails (email 1, email 2, reminders) cancelled and a
replacement issued, each step audited and the reissue marked complete, all in one
commit, every record stamped with the plan's time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import CodeState
from codeservice.domain.wording import reissue_reason
from codeservice.services.distribution.issuing import Issuer, PreparedCode, issue_to_spocs
from codeservice.services.distribution.notifications import cancel_mail_of_codes
from codeservice.services.incidents.reissue_views import (
    ReissueReport,
    ReplacedCode,
    completed_report,
)
from codeservice.services.operations import audit
from codeservice.storage.models import AccessCode, Reissue
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CodePlan:
    """One code to replace: its replacement is in force now, or keeps its own start."""

    code_id: int
    cycle: Cycle
    in_force: bool
    active_from: datetime
    active_until: datetime


@dataclass(frozen=True)
class Plan:
    """What the transaction expects to find, decided before any document is built."""

    reissue_id: int
    provider_id: int
    at: datetime
    codes: tuple[CodePlan, ...]


def general_reason(reissue: Reissue) -> str:
    return reissue_reason(after_incident=reissue.incident_id is not None)


def commit_reissue(
    writing: Callable[[], UnitOfWork],
    issuer: Issuer,
    plan: Plan,
    prepared: dict[int, PreparedCode],
    *,
    actor: str,
    source: str,
) -> ReissueReport | None:
    """The one transaction, in a unit of work from ``writing``; None when the codes to
    replace are no longer those planned."""
    at = plan.at
    with writing() as uow:
        provider = uow.register.lock_provider(plan.provider_id)
        reissue = uow.incidents.get_reissue(plan.reissue_id)
        assert provider is not None and reissue is not None
        if reissue.completed_at is not None:  # another process finished it meanwhile
            return completed_report(uow, reissue)
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
            return _finish(uow, issuer.keyring, reissue, report, actor=actor, source=source, at=at)

        codes = uow.incidents.codes_not_ended(provider.id, at)
        if [c.id for c in codes] != [c.code_id for c in plan.codes]:
            return None
        for code in codes:
            code.state = CodeState.REVOKED
            code.revoked_at = at
        uow.flush()  # frees each cycle for its replacement
        links = uow.incidents.replace_links([c.id for c in codes], at)
        _cancel_revoked_mail(
            uow, issuer.keyring, codes, reissue, report, actor=actor, source=source, at=at
        )
        reason = general_reason(reissue)
        for code, code_plan in zip(codes, plan.codes, strict=True):
            issued = issue_to_spocs(
                uow,
                issuer,
                provider=provider,
                cycle=code.cycle,
                issue_at=at,
                active_from=code_plan.active_from,
                active_until=code.active_until,
                state=CodeState.ACTIVE if code_plan.in_force else CodeState.ISSUED,
                prepared=prepared[code.id],
                now=at,
                replaces=code,
                reissue_reason=reason,
            )
            new = issued.access_code
            report.replaced.append(
                ReplacedCode(
                    cycle=str(code.cycle),
                    revoked_document_ref=code.document_ref,
                    new_document_ref=new.document_ref,
                    new_state=new.state,
                    active_from=new.active_from,
                    active_until=new.active_until,
                )
            )
            report.spocs = issued.spocs
            report.emails_queued += issued.emails_queued
            common = {"provider": provider.ref, "cycle": str(code.cycle), "reissue": reissue.id}
            audit.event(
                uow,
                issuer.keyring,
                AuditTag.CODE_ACCESS_REVOKE,
                actor=actor,
                source=source,
                now=at,
                **common,
                document_ref=code.document_ref,
            )
            audit.event(
                uow,
                issuer.keyring,
                AuditTag.CODE_ACCESS_ISSUE,
                actor=actor,
                source=source,
                now=at,
                **common,
                document_ref=new.document_ref,
                key_id=new.key_id,
                replaces=code.document_ref,
                active_from=new.active_from.isoformat(),
                emails_queued=issued.emails_queued,
            )
        reissue.codes_replaced = len(codes)
        log.info(
            "reissue %s for %s: %d codes revoked and replaced, %d links replaced, "
            "%d unsent emails cancelled",
            reissue.id,
            provider.ref,
            len(codes),
            links,
            report.emails_cancelled,
        )
        return _finish(uow, issuer.keyring, reissue, report, actor=actor, source=source, at=at)


def _cancel_revoked_mail(
    uow: UnitOfWork,
    keyring: Keyring,
    codes: list[AccessCode],
    reissue: Reissue,
    report: ReissueReport,
    *,
    actor: str,
    source: str,
    at: datetime,
) -> None:
    """Email 1, email 2 and reminders of the revoked codes not sent yet never go."""
    by_category = cancel_mail_of_codes(uow, [c.id for c in codes], now=at)
    report.emails_cancelled = sum(by_category.values())
    if not by_category:
        return
    audit.event(
        uow,
        keyring,
        AuditTag.MAIL_MESSAGE_CANCEL,
        actor=actor,
        source=source,
        now=at,
        provider=report.provider_ref,
        reissue=reissue.id,
        revoked=[c.document_ref for c in codes],
        cancelled=report.emails_cancelled,
        by_category=by_category,
    )


def _finish(
    uow: UnitOfWork,
    keyring: Keyring,
    reissue: Reissue,
    report: ReissueReport,
    *,
    actor: str,
    source: str,
    at: datetime,
) -> ReissueReport:
    reissue.completed_at = at
    report.completed_at = at
    audit.event(
        uow,
        keyring,
        AuditTag.CODE_ACCESS_REISSUE,
        actor=actor,
        source=source,
        now=at,
        provider=report.provider_ref,
        reissue=reissue.id,
        incident=report.incident_reference,
        reason=reissue.reason,
        requested_by=reissue.requested_by,
        requested_at=reissue.requested_at.isoformat(),
        codes_replaced=reissue.codes_replaced,
        replaced=[r.revoked_document_ref for r in report.replaced],
        covered_by=report.covered_by,
        emails_queued=report.emails_queued,
        emails_cancelled=report.emails_cancelled,
    )
    uow.commit()
    return report
