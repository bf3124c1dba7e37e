"""Rotation: give every active prime provider its code for a cycle.

Each provider is done in one transaction: the code, its deliveries and link tokens,
email 1 to every active SPoC and the audit record commit together or not at all. A
run killed at any point and run again skips the providers already done and finishes
the rest, so there is never a second code, document or email for a provider and
cycle. Document work (build + encrypt) runs in a process pool, a few providers ahead
of the commits.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from codeservice.bootstrap import Container
from codeservice.documents import DocumentContent
from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Cycle, CycleDates
from codeservice.domain.codes import Alphabet, CodeState
from codeservice.errors import Conflict
from codeservice.services.distribution.codes import CodeMaterial, SecondLiveCode, draw_code_material
from codeservice.services.distribution.document_work import (
    DocumentJob,
    EncryptedDocument,
    document_pool,
    make_document,
    worker_count,
)
from codeservice.services.distribution.issue_failures import FailedIssue, record_failure
from codeservice.services.distribution.issuing import (
    PreparedCode,
    document_content,
    issue_to_spocs,
    with_code,
)
from codeservice.services.operations import audit
from codeservice.storage.models import Provider

log = logging.getLogger(__name__)

AHEAD_PER_WORKER = 4  # documents submitted ahead of the commits, per worker process


@dataclass
class RotationReport:
    cycle: str
    providers: int = 0
    issued: int = 0
    already_done: int = 0
    emails_queued: int = 0
    without_spocs: list[str] = field(default_factory=list)
    failed: list[FailedIssue] = field(default_factory=list)  # retried by the next run
    build_seconds: float = 0.0
    encrypt_seconds: float = 0.0
    commit_seconds: float = 0.0


@dataclass(frozen=True)
class _Prepared:
    provider_id: int
    provider_ref: str
    material: CodeMaterial = field(repr=False)


def check_rotation_allowed(container: Container, cycle: Cycle, now: datetime, force: bool) -> None:
    """A cycle that has ended, or one more than one ahead, needs ``--force`` (or is refused)."""
    calendar = container.calendar
    dates = calendar.dates(cycle)
    if dates.active_until <= now:
        raise Conflict(f"cycle {cycle} ended on {dates.active_until:%a %d %b %Y}; nothing to issue")
    next_due = calendar.next_to_issue(now)
    if cycle > next_due and not force:
        raise Conflict(
            f"cycle {cycle} is more than one cycle ahead (the next to issue is {next_due}, "
            f"on {calendar.dates(next_due).issue_at:%a %d %b %Y %H:%M}); "
            "use --force to issue it now"
        )


def rotate(
    container: Container,
    cycle: Cycle,
    *,
    actor: str,
    source: str,
    force: bool = False,
    workers: int | None = None,
    on_total: Callable[[int], None] | None = None,
    on_done: Callable[[str], None] | None = None,
) -> RotationReport:
    now = container.now()
    check_rotation_allowed(container, cycle, now, force)
    dates = container.calendar.dates(cycle)
    alphabet = Alphabet.from_excluded(container.settings.code_excluded_characters)
    report = RotationReport(cycle=str(cycle))

    with container.uow() as uow:
        primes = uow.register.active_primes()
        pending = [p for p in primes if uow.codes.live_for(p.id, cycle) is None]
        report.providers = len(primes)
        report.already_done = len(primes) - len(pending)
        # The document says when the code was really issued: early with --force, or
        # late after a failure, is not the scheduled Wednesday.
        contents = {p.id: _content_for(p, dates, now) for p in pending}
        audit.record(
            uow,
            container.keyring.audit_key,
            actor=actor,
            action=AuditTag.CYCLE_ROTATION_START,
            source=source,
            details={"cycle": str(cycle), "providers": len(primes), "pending": len(pending)},
            now=now,
        )
        uow.commit()
    if on_total:
        on_total(len(pending))

    with document_pool(workers) as pool:
        # Commit in submission order: the pool keeps every core busy meanwhile, and the
        # progress bar moves through the register alphabetically. Only a few documents
        # are ever ahead of the commits, and each is let go once committed: memory stays
        # flat however many providers there are.
        jobs = iter(contents.items())
        ahead: deque[tuple[_Prepared, Future[EncryptedDocument]]] = deque()

        def submit_next() -> None:
            provider_id, template = next(jobs, (0, None))
            if template is None:
                return
            material = draw_code_material(alphabet, template.provider_ref, cycle)
            job = DocumentJob(
                content=with_code(template, material), unlock_code=material.unlock_code
            )
            prepared = _Prepared(provider_id, template.provider_ref, material)
            ahead.append((prepared, pool.submit(make_document, job)))

        for _ in range(AHEAD_PER_WORKER * worker_count(workers)):
            submit_next()
        while ahead:
            prepared, future = ahead.popleft()
            submit_next()
            try:
                document = future.result()
                report.build_seconds += document.build_seconds
                report.encrypt_seconds += document.encrypt_seconds
                _commit_provider(
                    container, cycle, dates, prepared, document, actor, source, report, now
                )
            except Exception as error:  # one provider's failure never stops the others
                report.failed.append(
                    record_failure(
                        container,
                        cycle,
                        prepared.provider_id,
                        error,
                        actor=actor,
                        source=source,
                    )
                )
            if on_done:
                on_done(prepared.provider_ref)

    with container.uow() as uow:
        audit.record(
            uow,
            container.keyring.audit_key,
            actor=actor,
            action=AuditTag.CYCLE_ROTATION_FINISH,
            source=source,
            details={
                "cycle": str(cycle),
                "issued": report.issued,
                "already_done": report.already_done,
                "emails_queued": report.emails_queued,
                "failed": [failed.provider_ref for failed in report.failed],
            },
            now=container.now(),
        )
        uow.commit()
    return report


def _content_for(provider: Provider, dates: CycleDates, issued_at: datetime) -> DocumentContent:
    return document_content(
        provider,
        cycle=dates.cycle,
        active_from=dates.active_from,
        active_until=dates.active_until,
        issued_at=issued_at,
    )


def _commit_provider(
    container: Container,
    cycle: Cycle,
    dates: CycleDates,
    prepared: _Prepared,
    document: EncryptedDocument,
    actor: str,
    source: str,
    report: RotationReport,
    issued_at: datetime,
) -> None:
    import time

    started = time.perf_counter()
    now = container.now()
    with container.uow() as uow:
        provider = uow.register.lock_provider(prepared.provider_id)
        assert provider is not None
        if uow.codes.live_for(provider.id, cycle) is not None:
            report.already_done += 1  # another process finished it meanwhile
            return
        try:
            issued = issue_to_spocs(
                uow,
                container,
                provider=provider,
                cycle=cycle,
                issue_at=issued_at,
                active_from=dates.active_from,
                active_until=dates.active_until,
                state=CodeState.ACTIVE if dates.active_from <= now else CodeState.ISSUED,
                prepared=PreparedCode(material=prepared.material, document=document.data),
                now=now,
            )
        except SecondLiveCode:
            # Another rotation of this cycle (the scheduler's, or one started by hand)
            # committed this provider's code between our check and our insert.
            report.already_done += 1
            return
        code = issued.access_code
        audit.record(
            uow,
            container.keyring.audit_key,
            actor=actor,
            action=AuditTag.CODE_ACCESS_ISSUE,
            source=source,
            details={
                "provider": provider.ref,
                "cycle": str(cycle),
                "document_ref": code.document_ref,
                "key_id": code.key_id,
                "emails_queued": issued.emails_queued,
            },
            now=now,
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
