"""The scheduler service for real: APScheduler, the lease, the ledger, on both databases."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from codeservice.bootstrap import Container
from codeservice.storage.models import AccessCode, AuditRecord, JobRun
from scheduler.runner import SchedulerService
from tests.integration.scheduler.support import load_register, mail_server
from tests.support.clock import Clock

ISSUE = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)  # Wed 31 Mar 2027 09:00 BST
BEFORE = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}", pytrace=False)
        time.sleep(0.05)


@pytest.fixture
def clock() -> Clock:
    return Clock(BEFORE)


@pytest.fixture
def app(container: Container, clock: Clock, tmp_path: Path) -> Iterator[Container]:
    quick = dataclasses.replace(container.settings, scheduler_lease_seconds=6)
    with mail_server(Container(quick, clock=clock), tmp_path / "mail") as built:
        load_register(built)
        yield built


def scalar(app: Container, query: object) -> int:
    with app.uow() as uow:
        return int(uow.session.scalar(query))  # type: ignore[call-overload]


def run_service(app: Container, holder: str, until: Callable[[SchedulerService], bool]) -> None:
    service = SchedulerService(app, holder=holder, rotation_workers=1)
    service.start()
    try:
        wait_until(lambda: until(service), f"{holder} to do its work")
    finally:
        service.stop()
    assert service.state == "off"


def test_a_service_started_after_a_missed_issue_catches_up_once(
    app: Container, clock: Clock
) -> None:
    run_service(app, "host:1", lambda s: s.wakes >= 1)  # it ran before the issue...

    clock.now = ISSUE + timedelta(hours=3)  # ...was down at 09:00, and starts again at noon
    issued = (
        select(func.count())
        .select_from(JobRun)
        .where(JobRun.job == "issue", JobRun.finished_at.is_not(None))
    )
    run_service(app, "host:2", lambda s: scalar(app, issued) == 1)
    run_service(app, "host:3", lambda s: s.wakes >= 1)  # and once more: nothing to catch up

    assert scalar(app, select(func.count()).select_from(AccessCode)) == 2
    with app.uow() as uow:
        run = uow.session.scalar(select(JobRun).where(JobRun.job == "issue"))
        assert run is not None
        assert (run.key, run.holder, run.attempts, run.caught_up) == ("2027-04", "host:2", 1, True)
        catch_ups = uow.session.scalars(
            select(AuditRecord.source).where(AuditRecord.action == "system:scheduler:catch_up")
        ).all()
        leads = uow.session.scalars(
            select(AuditRecord.source).where(AuditRecord.action == "system:scheduler:lead")
        ).all()
    assert catch_ups == ["host:2"]
    assert leads == ["host:1", "host:2", "host:3"]


def test_one_leads_the_other_stands_by_and_takes_over_when_it_stops(app: Container) -> None:
    first = SchedulerService(app, holder="host:1", rotation_workers=1)
    second = SchedulerService(app, holder="host:2", rotation_workers=1)
    first.start()
    wait_until(lambda: first.state == "leader", "the first to lead")
    second.start()
    try:
        wait_until(lambda: first.wakes >= 1, "the first wake-up")
        assert second.state == "standby"
        assert {"sweep", "issue:2027-04", "activate:2027-04"} <= set(dict(first.next_alarms()))
        first.stop()
        wait_until(lambda: second.state == "leader", "the second to take over")
    finally:
        first.stop()
        second.stop()
    assert (first.state, second.state) == ("off", "off")
