from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codeservice.domain.calendar import Cycle
from scheduler.plan import JobKind, Occurrence
from scheduler.triggers import alarm_triggers, wall_time

WALL = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_a_shifted_service_clock_fires_when_it_shows_the_instant() -> None:
    service_now = datetime(2027, 3, 31, 7, 59, 50, tzinfo=UTC)  # 10 s before the issue
    due = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)
    assert wall_time(due, service_now=service_now, wall_now=WALL) == WALL + timedelta(seconds=10)


def test_an_instant_already_past_fires_at_once() -> None:
    assert wall_time(WALL - timedelta(hours=3), service_now=WALL, wall_now=WALL) == WALL


def test_one_date_trigger_per_occurrence() -> None:
    occurrence = Occurrence(JobKind.ISSUE, "2027-04", Cycle(2027, 4), WALL + timedelta(days=1))
    triggers = alarm_triggers([occurrence], service_now=WALL, wall_now=WALL)
    assert list(triggers) == ["issue:2027-04"]
    assert triggers["issue:2027-04"].get_next_fire_time(None, WALL) == WALL + timedelta(days=1)
