"""Worker processes joining the rotation the scheduler started (PostgreSQL only).

The process holding the scheduler lease runs the issue job; its run in the job-run
ledger (``job_runs``: job ``issue``, key the cycle, ``outcome = 'running'``, no
``finished_at``) is the durable, visible marker that a rotation of that cycle is under
way. Every ``codeservice worker`` and ``serve`` process asks for such a run every few
seconds (one indexed query); when there is one that is not its own and a prime is
still waiting, it calls the same ``rotate`` use case for that cycle, so it claims
providers too (``FOR NO KEY UPDATE SKIP LOCKED``), and returns when none is left.

A joining process never starts a rotation: with no run under way it does nothing, and
it never issues a cycle before its run was due (``rotate`` without ``force`` refuses a
cycle more than one ahead, or one that has ended, too). It joins each attempt of a run
at most once, so a provider whose issue failed is left to the scheduler's next attempt.
Stopped (SIGTERM), it writes the claims in hand and leaves the rest to the others.
A joining process that dies loses its connection and with it its locks: the others
claim its providers. On SQLite (one writer) processes do not join.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.domain.wording import plural
from codeservice.errors import CodeserviceError
from codeservice.services.distribution import rotation
from codeservice.storage.models import JobRun
from scheduler.ledger import SCHEDULER_ACTOR
from scheduler.plan import JobKind

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0  # how often a worker asks whether a rotation is under way
SOURCE = "worker"  # the audit records' source for codes issued by a joining process


@dataclass(frozen=True)
class RunningIssue:
    """An issue run in the ledger that has started and not finished."""

    run_id: int
    attempt: int
    cycle: Cycle
    due_at: datetime
    holder: str


def can_join(container: Container) -> bool:
    """Whether processes share a rotation on this database (PostgreSQL's SKIP LOCKED)."""
    with container.read_uow() as uow:
        return uow.register.can_skip_locked()


def running_issue(container: Container) -> RunningIssue | None:
    """The issue run under way (the latest due, if several were left running)."""
    with container.read_uow() as uow:
        row = uow.session.execute(
            select(JobRun.id, JobRun.attempts, JobRun.key, JobRun.due_at, JobRun.holder)
            .where(
                JobRun.job == str(JobKind.ISSUE),
                JobRun.outcome == "running",
                JobRun.finished_at.is_(None),
            )
            .order_by(JobRun.due_at.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    run_id, attempt, key, due_at, holder = row
    return RunningIssue(run_id, attempt, Cycle.parse(key), due_at, holder)


def any_waiting(container: Container, cycle: Cycle) -> bool:
    """Whether a prime is still waiting for its code and free to claim."""
    with container.uow() as uow:  # FOR UPDATE needs a writing transaction; nothing is written
        return bool(uow.register.claim_waiting_primes(cycle, skip=(), limit=1))


class Joiner:
    """One process's part: ``poll`` from its loop, every ``POLL_SECONDS``."""

    def __init__(self, container: Container, *, holder: str, workers: int | None = None) -> None:
        self.container = container
        self.holder = holder
        self.workers = workers
        self._joined: set[tuple[int, int]] = set()  # (run id, attempt) already joined

    def poll(self, keep_going: Callable[[], bool] = lambda: True) -> rotation.RotationReport | None:
        """Join the rotation under way, if there is one to join; its report, or None.

        ``keep_going`` is asked before each claim: once it says no (SIGTERM), the claims
        in hand are written and the rest is left to the other processes."""
        run = running_issue(self.container)
        if run is None or run.holder == self.holder:  # none, or this process runs it
            return None
        if (run.run_id, run.attempt) in self._joined:
            return None
        if run.due_at > self.container.now():  # never before it is due
            return None
        if not any_waiting(self.container, run.cycle):
            return None
        self._joined.add((run.run_id, run.attempt))
        log.info("joining the rotation of cycle %s started by %s", run.cycle, run.holder)
        try:
            report = rotation.rotate(
                self.container.press,
                run.cycle,
                now=self.container.now(),
                actor=SCHEDULER_ACTOR,
                source=SOURCE,
                workers=self.workers,
                keep_going=keep_going,
            )
        except CodeserviceError as exc:  # the cycle cannot be issued now: not ours to force
            log.warning("not joining the rotation of cycle %s: %s", run.cycle, exc)
            return None
        except Exception:
            self._joined.discard((run.run_id, run.attempt))  # the database, say: try again
            raise
        log.info(
            "%s the rotation of cycle %s: %s issued here, %s queued",
            "joined" if keep_going() else "stopped before the end of",
            run.cycle,
            plural(report.issued, "code"),
            plural(report.emails_queued, "email"),
        )
        return report


async def join_rotations(joiner: Joiner, stop: asyncio.Event) -> None:
    """Ask every few seconds whether the scheduler has a rotation under way, and join it.

    Stopped (SIGTERM) while it takes part, it writes the claims in hand and leaves the
    rest to the other processes; killed, it leaves its claims to them too."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(joiner.poll, lambda: not stop.is_set())
        except Exception:
            log.exception("could not join the rotation under way; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
