"""The scheduled jobs: each is one call of a codeservice use case.

``run_due`` is what the scheduler does whenever it wakes: ask the plan what is due,
and run each occurrence once — claimed in the job-run ledger first, so a job that
fires twice, in one process or in two, or late after a restart, acts once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from codeservice.bootstrap import Container
from codeservice.domain.wording import moment_text, plural
from codeservice.errors import CodeserviceError
from codeservice.services.distribution import activation, reminders, rotation, summary
from codeservice.services.operations import retention
from scheduler import ledger
from scheduler.plan import JobKind, Occurrence, Schedule, SchedulePolicy

log = logging.getLogger(__name__)

SOURCE = "scheduler"


@dataclass(frozen=True)
class JobContext:
    holder: str  # which process runs it (host:pid:random), for the ledger and audit
    actor: str = ledger.SCHEDULER_ACTOR
    rotation_workers: int | None = None  # document processes (None: one per core)


@dataclass(frozen=True)
class RunResult:
    occurrence: Occurrence
    outcome: str  # done, failed
    detail: str
    started_at: datetime
    caught_up: bool


def schedule_for(container: Container) -> Schedule:
    s = container.settings
    return Schedule(
        container.calendar,
        SchedulePolicy(
            reminder_time=s.reminder_time,
            reminder_limit=s.reminder_limit,
            escalation_time=s.escalation_time,
            summary_delay=timedelta(minutes=s.summary_delay_minutes),
            retention_time=s.retention_time,
        ),
    )


# --- the jobs: one use case each, returning what they did in a line for the log ------


def issue(container: Container, occurrence: Occurrence, context: JobContext) -> str:
    report = rotation.rotate(
        container.press,
        occurrence.cycle,
        now=container.now(),
        actor=context.actor,
        source=SOURCE,
        workers=context.rotation_workers,
    )
    line = (
        f"issued cycle {report.cycle}: {plural(report.providers, 'provider')}, "
        f"{plural(report.issued, 'code')} issued now ({report.already_done} already), "
        f"{plural(report.emails_queued, 'email')} queued"
    )
    if report.without_spocs:
        line += f"; without an active SPoC: {', '.join(report.without_spocs)}"
    if report.failed:  # recorded, mailed to the BMT, retried by the next rotate
        line += f"; not issued: {', '.join(f.provider_ref for f in report.failed)}"
    return line


def activate(container: Container, occurrence: Occurrence, context: JobContext) -> str:
    now = container.now()
    with container.transaction() as uow:
        report = activation.activate(
            uow,
            container.keyring,
            container.calendar,
            occurrence.cycle,
            actor=context.actor,
            source=SOURCE,
            now=now,
        )
    return (
        f"activated cycle {report.cycle}: {plural(len(report.activated), 'code')} activated, "
        f"{len(report.retired)} retired"
    )


def remind(container: Container, occurrence: Occurrence, context: JobContext) -> str:
    day = date.fromisoformat(occurrence.key)
    now = container.now()
    with container.transaction() as uow:
        report = reminders.send_reminders(
            uow,
            container.mailroom,
            container.calendar,
            occurrence.cycle,
            day,
            limit=container.settings.reminder_limit,
            actor=context.actor,
            source=SOURCE,
            now=now,
        )
    return (
        f"reminders for cycle {report.cycle} on {report.day}: {report.queued} queued, "
        f"{report.already} already sent today, {report.at_limit} at the limit, "
        f"{report.not_sent_yet} whose email 1 has not gone yet"
    )


def escalate(container: Container, occurrence: Occurrence, context: JobContext) -> str:
    now = container.now()
    with container.transaction() as uow:
        report = reminders.escalate(
            uow,
            container.mailroom,
            container.calendar,
            occurrence.cycle,
            actor=context.actor,
            source=SOURCE,
            now=now,
        )
    if not report.providers:
        return f"escalation for cycle {report.cycle}: every provider has acknowledged"
    refs = ", ".join(p.ref for p in report.providers)
    verb = "queued" if report.queued else "already queued"
    return f"escalation for cycle {report.cycle} {verb}: not acknowledged by {refs}"


def rotation_summary(container: Container, occurrence: Occurrence, context: JobContext) -> str:
    return _summary(container, occurrence, context, "rotation")


def activation_summary(container: Container, occurrence: Occurrence, context: JobContext) -> str:
    return _summary(container, occurrence, context, "activation")


def _summary(
    container: Container, occurrence: Occurrence, context: JobContext, stage: summary.Stage
) -> str:
    now = container.now()
    with container.transaction() as uow:
        counts = summary.queue_summary(
            uow,
            container.mailroom,
            container.calendar,
            occurrence.cycle,
            stage=stage,
            actor=context.actor,
            source=SOURCE,
            now=now,
        )
    return (
        f"{stage} summary for cycle {occurrence.cycle} queued: "
        f"{plural(counts.providers, 'provider')}, "
        f"{counts.documents_sent} of {plural(counts.documents, 'document')} sent, "
        f"{plural(counts.delivery_failures, 'delivery failure')}, "
        f"{plural(counts.acknowledgements, 'acknowledgement')}"
    )


def purge(container: Container, occurrence: Occurrence, context: JobContext) -> str:
    now = container.now()
    result = retention.purge(
        container.read_uow,
        container.uow,
        container.keyring,
        retention.policy_of(container.settings),
        actor=context.actor,
        source=SOURCE,
        now=now,
    )
    counts = ", ".join(f"{count} {kind}" for kind, count in result.counts.items())
    if result.audit_problem is not None:
        raise CodeserviceError(f"retention purged {counts}; audit records: {result.audit_problem}")
    return f"retention purge: {counts}"


Job = Callable[[Container, Occurrence, JobContext], str]

JOBS: dict[JobKind, Job] = {
    JobKind.ISSUE: issue,
    JobKind.ACTIVATE: activate,
    JobKind.REMIND: remind,
    JobKind.ESCALATE: escalate,
    JobKind.ROTATION_SUMMARY: rotation_summary,
    JobKind.ACTIVATION_SUMMARY: activation_summary,
    JobKind.RETENTION: purge,
}


# --- running --------------------------------------------------------------------------


def run_occurrence(
    container: Container, occurrence: Occurrence, context: JobContext
) -> RunResult | None:
    """Run one occurrence once; None if it already ran. Never before it is due."""
    now = container.now()
    if occurrence.due_at > now:
        when = moment_text(occurrence.due_at, container.settings.tz)
        raise ValueError(f"the {occurrence.describe()} is not due until {when}")
    claim = ledger.claim(container, occurrence, holder=context.holder, now=now)
    if claim is None:
        return None
    try:
        detail = JOBS[occurrence.kind](container, occurrence, context)
    except CodeserviceError as exc:
        log.error("the %s failed: %s", occurrence.describe(), exc)
        ledger.fail(container, claim.run_id, error=str(exc))
        return RunResult(occurrence, "failed", str(exc), now, claim.caught_up)
    except Exception as exc:
        log.exception("the %s failed", occurrence.describe())
        error = f"{type(exc).__name__}: {exc}"
        ledger.fail(container, claim.run_id, error=error)
        return RunResult(occurrence, "failed", error, now, claim.caught_up)
    ledger.finish(container, claim.run_id, detail=detail, now=container.now())
    log.info("%s%s", "caught up: " if claim.caught_up else "", detail)
    return RunResult(occurrence, "done", detail, now, claim.caught_up)


def run_due(
    container: Container,
    context: JobContext,
    *,
    schedule: Schedule | None = None,
    should_continue: Callable[[], bool] = lambda: True,
) -> list[RunResult]:
    """Run everything due now, oldest first; what one run makes due (a summary) runs too.

    An occurrence that fails is not tried again in the same call: the next wake-up
    does that. ``should_continue`` is asked before each run (a scheduler that lost its
    lease stops).
    """
    schedule = schedule or schedule_for(container)
    since, first = ledger.first_start(container, holder=context.holder, now=container.now())
    if first:
        for before in schedule.due(since, ledger.finished_runs(container)):
            log.warning(
                "the scheduler runs here for the first time: the %s (due %s) is left to the BMT%s",
                before.describe(),
                moment_text(before.due_at, container.settings.tz),
                f" (`codeservice rotate {before.cycle}`)" if before.kind is JobKind.ISSUE else "",
            )
    tried: set[str] = set()
    results: list[RunResult] = []
    while should_continue():
        now = container.now()
        due = [
            o
            for o in schedule.due(now, ledger.finished_runs(container), since)
            if o.id not in tried
        ]
        if not due:
            break
        occurrence = due[0]
        tried.add(occurrence.id)
        result = run_occurrence(container, occurrence, context)
        if result is not None:
            results.append(result)
    return results
