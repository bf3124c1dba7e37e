from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.storage.models import AccessCode, AuditRecord, JobRun
from mailer.schema import outbox
from scheduler import ledger
from scheduler.jobs import JobContext, run_due, run_occurrence, schedule_for
from scheduler.plan import JobKind, Occurrence
from tests.integration.scheduler.support import load_register, mail_server, send_mail
from tests.support.clock import Clock

APRIL = Cycle.parse("2027-04")
ISSUE = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)  # Wed 31 Mar 2027 09:00 BST
BEFORE = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)
CONTEXT = JobContext(holder="test:1", rotation_workers=1)


@pytest.fixture
def clock() -> Clock:
    return Clock(BEFORE)


@pytest.fixture
def app(container: Container, clock: Clock, tmp_path: Path) -> Iterator[Container]:
    with mail_server(Container(container.settings, clock=clock), tmp_path / "mail") as built:
        load_register(built)
        assert run_due(built, CONTEXT) == []  # the scheduler's first start, before the issue
        yield built


def count(app: Container, model: type, *conditions: object) -> int:
    with app.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).where(*conditions)))  # type: ignore[arg-type]


def test_a_job_is_never_run_before_it_is_due(app: Container, clock: Clock) -> None:
    issue = schedule_for(app).issue(APRIL)
    clock.now = ISSUE - timedelta(seconds=1)
    with pytest.raises(ValueError, match="not due until Wednesday 31 March 2027 at 09:00"):
        run_occurrence(app, issue, CONTEXT)
    assert run_due(app, CONTEXT) == []
    assert count(app, AccessCode) == 0


def test_a_job_that_fires_twice_or_in_two_processes_runs_once(app: Container, clock: Clock) -> None:
    clock.now = ISSUE
    issue = schedule_for(app).issue(APRIL)
    first = run_occurrence(app, issue, CONTEXT)
    assert first is not None and first.outcome == "done"
    assert (
        first.detail
        == "issued cycle 2027-04: 2 providers, 2 codes issued now (0 already), 3 emails queued"
    )
    assert run_occurrence(app, issue, JobContext(holder="other:2", rotation_workers=1)) is None
    assert [r.occurrence.kind for r in run_due(app, CONTEXT)] == []
    assert count(app, AccessCode) == 2
    assert count(app, JobRun, JobRun.job == "issue") == 1
    assert send_mail(app).sent == 3


def test_a_failed_job_is_tried_again_and_then_done_once(
    container: Container, app: Container, clock: Clock, tmp_path: Path
) -> None:
    clock.now = ISSUE
    # The key file is gone: the rotation cannot seal codes, so the job fails...
    broken = Container(
        dataclasses.replace(app.settings, master_key_file=tmp_path / "missing.json"), clock=clock
    )
    [failed] = run_due(broken, CONTEXT)
    assert failed.outcome == "failed" and failed.occurrence.kind is JobKind.ISSUE
    with app.uow() as uow:
        row = uow.session.scalar(select(JobRun).where(JobRun.job == "issue"))
        assert row is not None and row.finished_at is None and row.outcome == "failed"
    # ...and the next wake-up, with the keys back, does it.
    clock.now = ISSUE + timedelta(minutes=5)
    [done] = run_due(app, CONTEXT)
    assert done.outcome == "done"
    with app.uow() as uow:
        row = uow.session.scalar(select(JobRun).where(JobRun.job == "issue"))
        assert row is not None and row.attempts == 2 and row.outcome == "done"
    assert count(app, AccessCode) == 2


def test_a_missed_issue_is_caught_up_once_and_said_so(app: Container, clock: Clock) -> None:
    clock.now = ISSUE + timedelta(hours=5)  # the service was down at 09:00
    results = run_due(app, CONTEXT)
    assert [(r.occurrence.kind, r.caught_up) for r in results] == [(JobKind.ISSUE, True)]
    assert run_due(app, CONTEXT) == []
    with app.uow() as uow:
        records = uow.session.scalars(
            select(AuditRecord.details).where(AuditRecord.action == "system:scheduler:catch_up")
        ).all()
    assert len(records) == 1
    assert json.loads(records[0]) == {
        "job": "issue",
        "key": "2027-04",
        "cycle": "2027-04",
        "due_at": "2027-03-31T09:00:00+01:00",
    }


def test_the_rotation_summary_counts_what_happened(app: Container, clock: Clock) -> None:
    clock.now = ISSUE
    run_due(app, CONTEXT)
    send_mail(app)
    clock.now = ISSUE + timedelta(hours=1)
    [summary] = run_due(app, CONTEXT)
    assert summary.occurrence == Occurrence(
        JobKind.ROTATION_SUMMARY, "2027-04", APRIL, summary.occurrence.due_at
    )
    assert summary.detail == (
        "rotation summary for cycle 2027-04 queued: 2 providers, 3 of 3 documents sent, "
        "0 delivery failures, 0 acknowledgements"
    )
    with app.uow() as uow:
        keys = uow.session.scalars(
            select(outbox.c.dedupe_key).where(outbox.c.category == "bmt-summary")
        ).all()
    assert keys == ["summary:rotation:2027-04"]
    assert ledger.finished_runs(app)[("rotation-summary", "2027-04")] == clock.now


def test_one_provider_that_cannot_be_issued_does_not_fail_the_issue_job(
    app: Container, clock: Clock
) -> None:
    from codeservice.storage.models import Provider

    with app.uow() as uow:
        first = uow.session.scalars(select(Provider).order_by(Provider.ref)).first()
        assert first is not None
        ref, first.name = first.ref, "Broken\x0b name"
        uow.commit()
    clock.now = ISSUE
    result = run_occurrence(app, schedule_for(app).issue(APRIL), CONTEXT)

    assert result is not None and result.outcome == "done"
    assert "1 code issued now (0 already)" in result.detail
    assert f"; not issued: {ref}" in result.detail
    assert count(app, AccessCode) == 1
    with app.uow() as uow:
        categories = list(uow.session.scalars(select(outbox.c.category)))
    assert "bmt-issue-failure" in categories
