"""A rotation shared by several processes on one PostgreSQL database.

Each process claims providers a batch at a time: an open transaction locks up to
``BATCH`` waiting primes (``SELECT ... FOR NO KEY UPDATE SKIP LOCKED``: rows another
process holds are passed over), their documents are made in the pool, and the batch is
written and committed in that same transaction — so the locks are held from claim to
commit and two processes never make the same provider's code. Two claims are in flight
at once (the second's documents are made while the first is written). A process that
dies (SIGKILL, a lost host) loses its connection: PostgreSQL ends its transactions,
the rows are free again and the processes still running claim them. A process is done
when no prime is left waiting but those whose issue failed in this run; while others
still hold some, it waits on the first one's lock until its holder commits (or dies).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import datetime

from codeservice.domain.calendar import Cycle, CycleDates
from codeservice.domain.codes import Alphabet
from codeservice.services.distribution.codes import draw_code_material
from codeservice.services.distribution.document_work import (
    DocumentJob,
    EncryptedDocument,
    make_document,
)
from codeservice.services.distribution.issue_batch import ReadyProvider
from codeservice.services.distribution.issuing import document_content, with_code
from codeservice.services.distribution.press import Press
from codeservice.services.distribution.rotation_writer import (
    RotationReport,
    note_failure,
    write_ready,
)
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

IN_FLIGHT = 2  # claims whose documents are being made at once


@dataclass
class _Claim:
    uow: UnitOfWork
    work: list[tuple[ReadyProvider, Future[EncryptedDocument]]] = field(default_factory=list)


@dataclass(frozen=True)
class SharedRun:
    press: Press
    cycle: Cycle
    dates: CycleDates
    issued_at: datetime
    alphabet: Alphabet
    actor: str
    source: str
    batch: int


def rotate_shared(
    run: SharedRun,
    pool: Executor,
    report: RotationReport,
    skip: set[int],
    on_done: Callable[[str], None] | None = None,
    keep_going: Callable[[], bool] = lambda: True,
) -> None:
    """Claim, make and write batches until no prime is left waiting (but ``skip``), or
    ``keep_going`` says to stop: then the claims in flight are written, and the
    providers still waiting are left to the other processes (or the next run)."""
    in_flight: deque[_Claim] = deque()
    try:
        while True:
            while len(in_flight) < IN_FLIGHT and keep_going():
                claim = _claim(run, pool, report, skip)
                if claim is None:
                    break
                in_flight.append(claim)
            if in_flight:
                _write(run, in_flight.popleft(), report, skip, on_done)
                continue
            if not keep_going():
                return
            # Every provider left is held by others: wait for the first of them (its
            # holder commits it, or dies); none left at all, the rotation is done.
            claim = _claim(run, pool, report, skip, wait=True)
            if claim is None:
                return
            in_flight.append(claim)
    finally:
        for claim in in_flight:  # stopped by an error: give the claims back
            claim.uow.__exit__(None, None, None)


def _claim(
    run: SharedRun, pool: Executor, report: RotationReport, skip: set[int], *, wait: bool = False
) -> _Claim | None:
    """Lock the next waiting primes and submit their documents; None if none is free
    (``wait``: none is left)."""
    uow = run.press.uow().__enter__()
    try:
        providers = uow.register.claim_waiting_primes(
            run.cycle, skip=skip, limit=1 if wait else run.batch, wait=wait
        )
        if not providers:
            uow.__exit__(None, None, None)
            return None
        # Checked again now that they are locked: one may have been issued by another
        # process between our snapshot and our lock.
        done = uow.codes.live_provider_ids(run.cycle, [p.id for p in providers])
        claim = _Claim(uow)
        for provider in providers:
            if provider.id in done:
                continue
            if not provider.security_plan.approved:
                skip.add(provider.id)
                report.no_security_plan.append(provider.ref)
                log.warning(
                    "provider %s has no approved security plan: no code for %s",
                    provider.ref,
                    run.cycle,
                )
                continue
            template = document_content(
                provider,
                cycle=run.cycle,
                active_from=run.dates.active_from,
                active_until=run.dates.active_until,
                issued_at=run.issued_at,
            )
            material = draw_code_material(run.alphabet, provider.ref, run.cycle)
            job = DocumentJob(
                content=with_code(template, material), unlock_code=material.unlock_code
            )
            ready = ReadyProvider(provider.id, provider.ref, material, b"")
            claim.work.append((ready, pool.submit(make_document, job)))
        return claim
    except BaseException:
        uow.__exit__(None, None, None)
        raise


def _write(
    run: SharedRun,
    claim: _Claim,
    report: RotationReport,
    skip: set[int],
    on_done: Callable[[str], None] | None,
) -> None:
    batch: list[ReadyProvider] = []
    for ready, future in claim.work:
        try:
            document = future.result()
        except Exception as error:  # one provider's failure never stops the others
            skip.add(ready.provider_id)
            note_failure(
                run.press, run.cycle, ready.provider_id, error, run.actor, run.source, report
            )
            continue
        report.build_seconds += document.build_seconds
        report.encrypt_seconds += document.encrypt_seconds
        batch.append(
            ReadyProvider(ready.provider_id, ready.provider_ref, ready.material, document.data)
        )
    write_ready(
        run.press,
        run.cycle,
        run.dates,
        batch,
        run.actor,
        run.source,
        report,
        run.issued_at,
        claimed=claim.uow,
    )
    # Whatever is still without a code (its issue failed, its plan was withdrawn) is
    # not claimed again by this run.
    claimed = [ready.provider_id for ready, _future in claim.work]
    with run.press.uow() as uow:
        done = uow.codes.live_provider_ids(run.cycle, claimed)
    skip.update(provider_id for provider_id in claimed if provider_id not in done)
    if on_done:
        for ready, _future in claim.work:
            on_done(ready.provider_ref)
