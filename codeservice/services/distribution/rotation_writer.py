"""The rotation's writing side: a batch of finished documents committed together
(``issue_batch``), or, when a batch cannot be, each provider in a transaction of its own
where a failure is that provider's alone (kept, audited and mailed to the BMT).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Cycle, CycleDates
from codeservice.domain.codes import CodeState
from codeservice.services.distribution.codes import SecondLiveCode
from codeservice.services.distribution.issue_batch import ReadyProvider, write_batch
from codeservice.services.distribution.issue_failures import FailedIssue, record_failure
from codeservice.services.distribution.issuing import PreparedCode, issue_to_spocs
from codeservice.services.distribution.press import Press
from codeservice.services.operations import audit
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class RotationReport:
    cycle: str
    providers: int = 0
    issued: int = 0
    already_done: int = 0
    emails_queued: int = 0
    without_spocs: list[str] = field(default_factory=list)
    # §17–18: skipped, no code issued: DWP holds no approved security plan for them.
    no_security_plan: list[str] = field(default_factory=list)
    failed: list[FailedIssue] = field(default_factory=list)  # retried by the next run
    build_seconds: float = 0.0
    encrypt_seconds: float = 0.0
    commit_seconds: float = 0.0


def note_failure(
    press: Press,
    cycle: Cycle,
    provider_id: int,
    error: Exception,
    actor: str,
    source: str,
    report: RotationReport,
) -> None:
    now = press.batch_time()
    with press.uow() as uow:  # its own: the failure is kept whatever follows
        failed = record_failure(
            uow,
            press.issuer.mailroom,
            cycle,
            provider_id,
            error,
            actor=actor,
            source=source,
            now=now,
        )
        uow.commit()
    report.failed.append(failed)


def write_ready(
    press: Press,
    cycle: Cycle,
    dates: CycleDates,
    batch: list[ReadyProvider],
    actor: str,
    source: str,
    report: RotationReport,
    issued_at: datetime,
    claimed: UnitOfWork | None = None,
) -> None:
    """Write a batch in one transaction — ``claimed``'s, which holds the providers' rows
    locked, if given — or, if it cannot be, each provider in a transaction of its own."""
    started = time.perf_counter()
    now = press.batch_time()
    try:
        with _transaction(press, claimed) as uow:
            outcome = write_batch(
                uow,
                press.issuer,
                batch,
                cycle=cycle,
                dates=dates,
                issued_at=issued_at,
                actor=actor,
                source=source,
                now=now,
            )
            uow.commit()
    except Exception as error:  # noqa: BLE001 - nothing was written: one by one instead
        log.info(
            "a batch of %d was refused (%s): writing one by one", len(batch), type(error).__name__
        )
        for ready in batch:
            try:
                commit_one(press, cycle, dates, ready, actor, source, report, issued_at)
            except Exception as one_error:  # one provider's failure never stops the others
                note_failure(press, cycle, ready.provider_id, one_error, actor, source, report)
        return
    report.already_done += outcome.already_done
    report.no_security_plan += outcome.no_security_plan
    for ref, spocs in outcome.issued:
        report.issued += 1
        report.emails_queued += spocs
        if not spocs:
            report.without_spocs.append(ref)
            log.warning("provider %s has no active SPoC: its code for %s was not sent", ref, cycle)
    report.commit_seconds += time.perf_counter() - started


@contextmanager
def _transaction(press: Press, claimed: UnitOfWork | None) -> Iterator[UnitOfWork]:
    """A new unit of work, or the one already open (and closed here when done)."""
    if claimed is None:
        with press.uow() as uow:
            yield uow
        return
    try:
        yield claimed
    finally:
        claimed.__exit__(None, None, None)


def commit_one(
    press: Press,
    cycle: Cycle,
    dates: CycleDates,
    prepared: ReadyProvider,
    actor: str,
    source: str,
    report: RotationReport,
    issued_at: datetime,
) -> None:
    started = time.perf_counter()
    now = press.batch_time()
    with press.uow() as uow:
        provider = uow.register.lock_provider(prepared.provider_id)
        assert provider is not None
        if uow.codes.live_for(provider.id, cycle) is not None:
            report.already_done += 1  # another process finished it meanwhile
            return
        if not provider.security_plan.approved:  # withdrawn since the run started
            report.no_security_plan.append(provider.ref)
            return
        try:
            issued = issue_to_spocs(
                uow,
                press.issuer,
                provider=provider,
                cycle=cycle,
                issue_at=issued_at,
                active_from=dates.active_from,
                active_until=dates.active_until,
                state=CodeState.ACTIVE if dates.active_from <= now else CodeState.ISSUED,
                prepared=PreparedCode(material=prepared.material, document=prepared.document),
                now=now,
            )
        except SecondLiveCode:
            # Another rotation of this cycle (the scheduler's, or one started by hand)
            # committed this provider's code between our check and our insert.
            report.already_done += 1
            return
        code = issued.access_code
        audit.event(
            uow,
            press.issuer.keyring,
            AuditTag.CODE_ACCESS_ISSUE,
            actor=actor,
            source=source,
            now=now,
            provider=provider.ref,
            cycle=str(cycle),
            document_ref=code.document_ref,
            key_id=code.key_id,
            emails_queued=issued.emails_queued,
        )
        uow.codes.clear_failure(provider.id, cycle)
        uow.commit()
    report.issued += 1
    report.emails_queued += issued.emails_queued
    if not issued.spocs:
        report.without_spocs.append(provider.ref)
        log.warning(
            "provider %s has no active SPoC: its code for %s was not sent", provider.ref, cycle
        )
    report.commit_seconds += time.perf_counter() - started
