"""APScheduler triggers for the plan's occurrences: one ``DateTrigger`` each.

The instants come from ``scheduler.plan`` (the domain calendar), never from a cron
expression, so a moved issue day or a clock change needs nothing here. The triggers
are set again after every run, so each is used once.

APScheduler waits on the real clock; the service's clock can be shifted for tests
and demonstrations (``scripts/shifted_clock.py``), so an instant of the service's time is
turned into the real instant at which the service's clock will show it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.date import DateTrigger

from scheduler.plan import Occurrence


def wall_time(due_at: datetime, *, service_now: datetime, wall_now: datetime) -> datetime:
    """The real instant at which the service's clock reaches ``due_at`` (now, if past)."""
    return (wall_now + max(due_at - service_now, timedelta(0))).astimezone(UTC)


def alarm_triggers(
    occurrences: Iterable[Occurrence], *, service_now: datetime, wall_now: datetime
) -> dict[str, DateTrigger]:
    return {
        o.id: DateTrigger(
            run_date=wall_time(o.due_at, service_now=service_now, wall_now=wall_now),
            timezone=UTC,
        )
        for o in occurrences
    }
