"""Rotation: give every active prime provider its code for a cycle.

Each provider's code, its deliveries and link tokens, email 1 to every active SPoC
and the audit record commit together or not at all — with the other providers of its
batch (``issue_batch``): the documents finished when the writer comes to them, up to
``BATCH`` at a time, so the writer batches more as it falls behind and waits for
nobody. A run killed at any point and run again skips the providers already done and
finishes the rest, so there is never a second code, document or email for a provider
and cycle. Document work (build + encrypt) runs in a process pool, a few providers
ahead of the commits.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from codeservice.documents import DocumentContent
from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Calendar, Cycle, CycleDates
from codeservice.errors import Conflict
from codeservice.services.distribution.codes import CodeMaterial, draw_code_material
from codeservice.services.distribution.document_work import (
    DocumentJob,
    EncryptedDocument,
    document_pool,
    make_document,
    worker_count,
)
from codeservice.services.distribution.issue_batch import ReadyProvider
from codeservice.services.distribution.issuing import (
    document_content,
    with_code,
)
from codeservice.services.distribution.press import Press
from codeservice.services.distribution.rotation_shared import SharedRun, rotate_shared
from codeservice.services.distribution.rotation_writer import (
    RotationReport,
    note_failure,
    write_ready,
)
from codeservice.services.operations import audit
from codeservice.storage.models import Provider

log = logging.getLogger(__name__)

__all__ = ["RotationReport", "check_rotation_allowed", "rotate"]

AHEAD_PER_WORKER = 4  # documents submitted ahead of the commits, per worker process
BATCH = 20  # providers written in one transaction, at most


@dataclass(frozen=True)
class _Prepared:
    provider_id: int
    provider_ref: str
    material: CodeMaterial = field(repr=False)


def check_rotation_allowed(calendar: Calendar, cycle: Cycle, now: datetime, force: bool) -> None:
    """A cycle that has ended, or one more than one ahead, needs ``--force`` (or is refused)."""
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
    press: Press,
    cycle: Cycle,
    *,
    now: datetime,
    actor: str,
    source: str,
    force: bool = False,
    workers: int | None = None,
    on_total: Callable[[int], None] | None = None,
    on_done: Callable[[str], None] | None = None,
    keep_going: Callable[[], bool] = lambda: True,  # shared (PostgreSQL): False stops it
) -> RotationReport:
    """Issue ``cycle``. The run is stamped ``now``, read once by the caller; each batch
    it writes, each failure and its end, with ``press.batch_time()`` when written."""
    check_rotation_allowed(press.calendar, cycle, now, force)
    dates = press.calendar.dates(cycle)
    alphabet = press.issuer.alphabet
    report = RotationReport(cycle=str(cycle))

    # Its processes start once there is something to issue, and then at once: the
    # forkserver loads the code while this process prepares the documents' content.
    with document_pool(workers) as pool:
        with press.uow() as uow:
            shared = uow.register.can_skip_locked()
            primes = uow.register.active_primes()
            done = uow.codes.live_provider_ids(cycle)
            waiting = [p for p in primes if p.id not in done]
            pending = [p for p in waiting if p.security_plan.approved]
            if pending:
                pool.start()
            report.providers = len(primes)
            report.already_done = len(primes) - len(waiting)
            report.no_security_plan = [p.ref for p in waiting if not p.security_plan.approved]
            for ref in report.no_security_plan:
                log.warning("provider %s has no approved security plan: no code for %s", ref, cycle)
            # The document says when the code was really issued: early with --force, or
            # late after a failure, is not the scheduled Wednesday.
            # (A shared rotation makes each provider's as it claims it.)
            contents = {} if shared else {p.id: _content_for(p, dates, now) for p in pending}
            audit.event(
                uow,
                press.issuer.keyring,
                AuditTag.CYCLE_ROTATION_START,
                actor=actor,
                source=source,
                now=now,
                cycle=str(cycle),
                providers=len(primes),
                pending=len(pending),
                no_security_plan=report.no_security_plan,
            )
            uow.commit()
        if on_total:
            on_total(len(pending))

        # A batch waits for this many documents (a small rotation writes in small batches),
        # then takes any others already finished, up to BATCH.
        target = max(1, min(BATCH, len(pending) // (AHEAD_PER_WORKER * worker_count(workers))))
        if shared:  # PostgreSQL: other processes may share this rotation
            run = SharedRun(
                press,
                cycle,
                dates,
                now,
                alphabet,
                actor,
                source,
                batch=target,
            )
            not_pending = {p.id for p in waiting if not p.security_plan.approved}
            rotate_shared(run, pool, report, not_pending, on_done, keep_going)
            # Issued by another process meanwhile, or before this run.
            report.already_done = (
                report.providers - report.issued - len(report.no_security_plan) - len(report.failed)
            )
            _finish(press, cycle, report, actor, source)
            return report
        # Commit in submission order: the pool keeps every core busy meanwhile, and the
        # progress bar moves through the register alphabetically. Only a few batches of
        # documents are ever ahead of the commits, and each is let go once committed:
        # memory stays flat however many providers there are.
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

        for _ in range(AHEAD_PER_WORKER * worker_count(workers) + 2 * BATCH):
            submit_next()
        while ahead:
            # The next ``target`` documents (waiting for them), and those after them
            # already finished.
            batch: list[ReadyProvider] = []
            while ahead and len(batch) < BATCH and (len(batch) < target or ahead[0][1].done()):
                prepared, future = ahead.popleft()
                submit_next()
                try:
                    document = future.result()
                except Exception as error:  # one provider's failure never stops the others
                    failed = prepared.provider_id
                    note_failure(press, cycle, failed, error, actor, source, report)
                    if on_done:
                        on_done(prepared.provider_ref)
                    continue
                report.build_seconds += document.build_seconds
                report.encrypt_seconds += document.encrypt_seconds
                batch.append(
                    ReadyProvider(
                        prepared.provider_id,
                        prepared.provider_ref,
                        prepared.material,
                        document.data,
                    )
                )
            write_ready(press, cycle, dates, batch, actor, source, report, now)
            if on_done:
                for ready in batch:
                    on_done(ready.provider_ref)

    _finish(press, cycle, report, actor, source)
    return report


def _finish(press: Press, cycle: Cycle, report: RotationReport, actor: str, source: str) -> None:
    with press.uow() as uow:
        audit.event(
            uow,
            press.issuer.keyring,
            AuditTag.CYCLE_ROTATION_FINISH,
            actor=actor,
            source=source,
            now=press.batch_time(),
            cycle=str(cycle),
            issued=report.issued,
            already_done=report.already_done,
            emails_queued=report.emails_queued,
            no_security_plan=report.no_security_plan,
            failed=[failed.provider_ref for failed in report.failed],
        )
        uow.commit()


def _content_for(provider: Provider, dates: CycleDates, issued_at: datetime) -> DocumentContent:
    return document_content(
        provider,
        cycle=dates.cycle,
        active_from=dates.active_from,
        active_until=dates.active_until,
        issued_at=issued_at,
    )
