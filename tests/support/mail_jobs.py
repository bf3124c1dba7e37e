"""The scheduler's mail jobs as their entry points run them: the clock read once, one
transaction opened, the use case handed the container's collaborators."""

from __future__ import annotations

from datetime import date, datetime

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution import reminders, summary


def send_reminders(
    app: Container, cycle: Cycle, day: date, *, actor: str, source: str, now: datetime
) -> reminders.ReminderReport:
    with app.transaction() as uow:
        return reminders.send_reminders(
            uow,
            app.mailroom,
            app.calendar,
            cycle,
            day,
            limit=app.settings.reminder_limit,
            actor=actor,
            source=source,
            now=now,
        )


def escalate(
    app: Container, cycle: Cycle, *, actor: str, source: str, now: datetime
) -> reminders.EscalationReport:
    with app.transaction() as uow:
        return reminders.escalate(
            uow, app.mailroom, app.calendar, cycle, actor=actor, source=source, now=now
        )


def queue_summary(
    app: Container, cycle: Cycle, *, stage: summary.Stage, actor: str, source: str, now: datetime
) -> summary.CycleCounts:
    with app.transaction() as uow:
        return summary.queue_summary(
            uow, app.mailroom, app.calendar, cycle, stage=stage, actor=actor, source=source, now=now
        )
