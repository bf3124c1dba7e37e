"""The job-run ledger: which occurrences have run, each claimed so that it runs once.

A run is claimed by inserting its (job, key) row; the unique constraint makes a second
claim fail, so a job that fires twice, in one process or two, runs once. A row left
unfinished (the run raised, or its process died) is taken up again by the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.domain.wording import moment_text
from codeservice.services.operations import audit
from codeservice.storage.models import JobRun
from scheduler.plan import Done, Occurrence

log = logging.getLogger(__name__)

# A run this long after its instant is a catch-up (the service was down, or no
# process held the scheduler lease); on time it starts within seconds.
CATCH_UP_AFTER = timedelta(minutes=5)
SCHEDULER_ACTOR = "system:scheduler"


@dataclass(frozen=True)
class Claim:
    run_id: int
    attempt: int
    caught_up: bool


FIRST_START = ("scheduler", "first-start")


def first_start(container: Container, *, holder: str, now: datetime) -> tuple[datetime, bool]:
    """When a scheduler first ran on this database (recorded by the first to ask: True).

    What fell due before is not the scheduler's to do: on a new installation the
    current cycle may well have been issued by other means, and issuing it again
    unasked would send every SPoC a second code. The BMT can run it by hand.
    """
    job, key = FIRST_START
    with container.uow() as uow:
        row = uow.session.scalar(select(JobRun).where(JobRun.job == job, JobRun.key == key))
        if row is not None:
            return row.due_at, False
        uow.session.add(
            JobRun(
                job=job,
                key=key,
                due_at=now,
                started_at=now,
                finished_at=now,
                outcome="done",
                detail="the scheduler ran for the first time on this database",
                holder=holder,
                attempts=1,
                caught_up=False,
            )
        )
        try:
            uow.commit()
        except IntegrityError:
            uow.rollback()
            found = uow.session.scalar(
                select(JobRun.due_at).where(JobRun.job == job, JobRun.key == key)
            )
            assert found is not None
            return found, False
    return now, True


def recorded_first_start(container: Container) -> datetime | None:
    job, key = FIRST_START
    with container.uow() as uow:
        return uow.session.scalar(select(JobRun.due_at).where(JobRun.job == job, JobRun.key == key))


def finished_runs(container: Container) -> Done:
    with container.uow() as uow:
        rows = uow.session.execute(
            select(JobRun.job, JobRun.key, JobRun.finished_at).where(
                JobRun.finished_at.is_not(None)
            )
        )
        return {(job, key): at for job, key, at in rows if at is not None}


def recent_runs(container: Container, limit: int = 20) -> list[dict[str, Any]]:
    with container.uow() as uow:
        query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
        return [
            {
                "job": run.job,
                "key": run.key,
                "due_at": run.due_at.isoformat(),
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "outcome": run.outcome,
                "caught_up": run.caught_up,
                "attempts": run.attempts,
                "holder": run.holder,
                "detail": run.detail,
            }
            for run in uow.session.scalars(query)
        ]


def claim(
    container: Container, occurrence: Occurrence, *, holder: str, now: datetime
) -> Claim | None:
    """Start a run of ``occurrence``; None if it has already run (or another run began)."""
    tz = container.settings.tz
    with container.uow() as uow:
        session = uow.session
        row = session.scalar(
            select(JobRun)
            .where(JobRun.job == str(occurrence.kind), JobRun.key == occurrence.key)
            .with_for_update()
        )
        if row is not None and row.finished_at is not None:
            return None
        if row is not None:
            row.attempts += 1
            row.started_at = now
            row.holder = holder
            row.outcome = "running"
            log.info("running the %s again (attempt %d)", occurrence.describe(), row.attempts)
            uow.commit()
            return Claim(row.id, row.attempts, row.caught_up)
        late = now - occurrence.due_at > CATCH_UP_AFTER
        row = JobRun(
            job=str(occurrence.kind),
            key=occurrence.key,
            due_at=occurrence.due_at,
            started_at=now,
            outcome="running",
            detail="",
            holder=holder,
            attempts=1,
            caught_up=late,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            return None  # another process claimed it a moment ago
        if late:
            log.warning(
                "catching up: the %s was due %s",
                occurrence.describe(),
                moment_text(occurrence.due_at, tz),
            )
            audit.record(
                uow,
                container.keyring.audit_key,
                actor=SCHEDULER_ACTOR,
                action=AuditTag.SYSTEM_SCHEDULER_CATCH_UP,
                source=holder,
                details={
                    "job": str(occurrence.kind),
                    "key": occurrence.key,
                    "cycle": str(occurrence.cycle),
                    "due_at": occurrence.due_at.isoformat(),
                },
                now=now,
            )
        uow.commit()
        return Claim(row.id, 1, late)


def finish(container: Container, run_id: int, *, detail: str, now: datetime) -> None:
    _close(container, run_id, outcome="done", detail=detail, finished_at=now)


def fail(container: Container, run_id: int, *, error: str) -> None:
    """Left unfinished, so the next run of the scheduler tries again."""
    _close(container, run_id, outcome="failed", detail=error, finished_at=None)


def _close(
    container: Container, run_id: int, *, outcome: str, detail: str, finished_at: datetime | None
) -> None:
    with container.uow() as uow:
        row = uow.session.get(JobRun, run_id)
        assert row is not None
        row.outcome = outcome
        row.detail = detail[:500]
        row.finished_at = finished_at
        uow.commit()
