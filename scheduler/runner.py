"""The scheduler of one process: it stands by until it holds the lease, then runs jobs.

While it leads, an APScheduler ``BackgroundScheduler`` holds one ``DateTrigger`` per
upcoming occurrence, at the instant the plan computes from the calendar, plus a sweep
every few minutes (and once at once, when it takes the lead: the catch-up). Whatever
fires, the same thing happens: everything due runs, in order, each occurrence once;
then the alarms are planned again from the calendar and the job-run ledger. Jobs run
one at a time (a single worker thread), so an activation never overtakes a rotation.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from codeservice import logs
from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.services.operations import audit
from mailer.dispatcher import default_worker_id
from scheduler import ledger
from scheduler.jobs import JobContext, run_due, schedule_for
from scheduler.lease import Acquired, Clock, Lease, wall_clock
from scheduler.triggers import alarm_triggers

log = logging.getLogger(__name__)

SWEEP = "sweep"
SWEEP_SECONDS = 300.0


class SchedulerService:
    def __init__(
        self,
        container: Container,
        *,
        holder: str | None = None,
        sweep_seconds: float = SWEEP_SECONDS,
        rotation_workers: int | None = None,
        clock: Clock = wall_clock,
    ) -> None:
        self.container = container
        self.holder = holder or default_worker_id()
        self.lease = Lease(
            container.session_factory,
            self.holder,
            seconds=container.settings.scheduler_lease_seconds,
            clock=clock,
        )
        self.context = JobContext(holder=self.holder, rotation_workers=rotation_workers)
        self.sweep_seconds = sweep_seconds
        self.clock = clock
        self._stop = threading.Event()
        self._leading = threading.Event()
        self._wake_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._scheduler: BackgroundScheduler | None = None
        self.wakes = 0  # completed wake-ups while leading (for tests and status)

    # --- the outside ------------------------------------------------------------------

    @property
    def state(self) -> str:
        if self._leading.is_set():
            return "leader"
        running = self._thread is not None and self._thread.is_alive()
        return "standby" if running else "off"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._watch_lease, name="scheduler-lease", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Finish the job in progress, release the lease, stop. Blocks until done."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def next_alarms(self) -> list[tuple[str, datetime]]:
        """The alarms set (id, wall-clock instant), while leading."""
        scheduler = self._scheduler
        if scheduler is None or not self._leading.is_set():
            return []
        return sorted(
            ((job.id, job.next_run_time) for job in scheduler.get_jobs() if job.next_run_time),
            key=lambda pair: pair[1],
        )

    # --- the lease --------------------------------------------------------------------

    def _watch_lease(self) -> None:
        log.info("scheduler %s started; waiting for the lease", self.holder)
        try:
            while not self._stop.is_set():
                self._check_lease()
                self._stop.wait(self.lease.renew_every)
        finally:
            self._step_down("stopping")
            try:
                self.lease.release()
            except Exception as exc:
                log.warning("could not release the scheduler lease: %s", exc)
            log.info("scheduler %s stopped", self.holder)

    def _check_lease(self) -> None:
        try:
            acquired = self.lease.acquire()
        except Exception as exc:
            log.warning("cannot reach the database to hold the scheduler lease: %s", exc)
            self._step_down("the database cannot be reached")
            return
        if acquired.held and not self._leading.is_set():
            self._take_lead(acquired)
        elif not acquired.held and self._leading.is_set():
            self._step_down("another process holds the lease")

    def _take_lead(self, acquired: Acquired) -> None:
        if acquired.new:
            try:
                self._audit_lead(acquired)
            except Exception as exc:
                log.warning("could not audit taking the scheduler lead: %s", exc)
        log.info(
            "scheduler %s took the lead%s: running scheduled jobs",
            self.holder,
            f" from {acquired.previous_holder}" if acquired.previous_holder else "",
        )
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        # At once: whatever fell due while no process led (the catch-up).
        scheduler.add_job(
            self._wake,
            IntervalTrigger(seconds=self.sweep_seconds, timezone=UTC),
            id=SWEEP,
            name="sweep: catch up and retry",
            next_run_time=self.clock(),
        )
        self._scheduler = scheduler
        self._leading.set()
        scheduler.start()

    def _step_down(self, reason: str) -> None:
        if not self._leading.is_set():
            return
        self._leading.clear()
        log.info("scheduler %s steps down: %s", self.holder, reason)
        with self._wake_lock:  # let a job in progress finish; later wakes see no lead
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    def _audit_lead(self, acquired: Acquired) -> None:
        with self.container.uow() as uow:
            audit.record(
                uow,
                self.container.keyring.audit_key,
                actor=ledger.SCHEDULER_ACTOR,
                action=AuditTag.SYSTEM_SCHEDULER_LEAD,
                source=self.holder,
                details={"holder": self.holder, "previous_holder": acquired.previous_holder},
                now=self.container.now(),
            )
            uow.commit()

    # --- waking -----------------------------------------------------------------------

    def _leads(self) -> bool:
        return self._leading.is_set() and not self._stop.is_set()

    def _wake(self) -> None:
        logs.set_actor(ledger.SCHEDULER_ACTOR)  # this job thread's log lines
        with self._wake_lock:
            if not self._leads():
                return
            try:
                run_due(self.container, self.context, should_continue=self._leads)
                if self._leads():
                    self._set_alarms()
            except Exception:
                log.exception(
                    "the scheduler could not run its jobs; it tries again at the next sweep"
                )
            finally:
                self.wakes += 1

    def _set_alarms(self) -> None:
        scheduler = self._scheduler
        if scheduler is None:
            return
        schedule = schedule_for(self.container)
        upcoming = schedule.upcoming(self.container.now(), ledger.finished_runs(self.container))
        alarms = alarm_triggers(upcoming, service_now=self.container.now(), wall_now=self.clock())
        for job in scheduler.get_jobs():
            if job.id != SWEEP and job.id not in alarms:
                job.remove()
        for occurrence in upcoming:
            trigger = alarms[occurrence.id]
            existing = scheduler.get_job(occurrence.id)
            if existing is not None and existing.next_run_time == trigger.run_date:
                continue
            scheduler.add_job(
                self._wake,
                trigger,
                id=occurrence.id,
                name=occurrence.describe(),
                replace_existing=True,
            )
        if upcoming:
            first = upcoming[0]
            log.info(
                "next: the %s at %s",
                first.describe(),
                first.due_at.astimezone(self.container.settings.tz).strftime(
                    "%a %d %b %Y %H:%M %Z"
                ),
            )
