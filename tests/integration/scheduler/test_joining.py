"""A ``codeservice worker`` process joins the rotation the scheduler's issue job has
under way (PostgreSQL): it claims providers too, and still every provider gets one
code and every SPoC one email 1."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.storage.models import AccessCode, AuditRecord
from scheduler import joining, ledger
from scheduler.jobs import JobContext, run_occurrence, schedule_for
from scheduler.plan import JobKind, Occurrence
from tests.conftest import Cli
from tests.support.rotation import assert_once_each, write_register

POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SKIP LOCKED

PROVIDERS = 40
LEADER = JobContext(holder="test:leader", rotation_workers=1)


def _count(container: Container, model: type, *conditions: object) -> int:
    with container.uow() as uow:
        query = select(func.count()).select_from(model).where(*conditions)  # type: ignore[arg-type]
        return int(uow.session.scalar(query))


def _wait_for(what: str, done: object, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 300  # a hang fails the test; no speed is asserted
    while not done():  # type: ignore[operator]
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"gave up waiting for {what}: {log.read_text()}"
        time.sleep(0.1)


def _due_issue(container: Container) -> Occurrence:
    due = schedule_for(container).due(container.now(), {})
    return next(o for o in due if o.kind is JobKind.ISSUE)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_on_sqlite_workers_do_not_join(container: Container) -> None:
    assert not joining.can_join(container)


@POSTGRESQL
def test_a_worker_starts_no_rotation_and_joins_each_run_once(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    register = write_register(tmp_path / "r.csv", 3, prefix="J", name="Join")
    assert cli("providers", "import", str(register)).exit_code == 0
    assert joining.can_join(container)
    joiner = joining.Joiner(container, holder="worker:1", workers=1)
    assert joiner.poll() is None  # no rotation under way: none is started

    issue = _due_issue(container)
    later = issue.cycle.next()
    not_due = Occurrence(JobKind.ISSUE, str(later), later, container.calendar.dates(later).issue_at)
    early = ledger.claim(container, not_due, holder="leader:1", now=container.now())
    assert early is not None
    assert joiner.poll() is None  # a run not yet due is not joined
    ledger.fail(container, early.run_id, error="not due")

    own = ledger.claim(container, issue, holder="worker:1", now=container.now())
    assert own is not None
    assert joiner.poll() is None  # this process's own run (serve, leading): not joined twice
    assert _count(container, AccessCode) == 0

    again = ledger.claim(container, issue, holder="leader:1", now=container.now())
    assert again is not None and again.attempt == 2
    stopping = joining.Joiner(container, holder="worker:2", workers=1)
    stopped = stopping.poll(keep_going=lambda: False)  # SIGTERM as it joins: claims none
    assert stopped is not None and stopped.issued == 0
    assert _count(container, AccessCode) == 0
    report = joiner.poll()
    assert report is not None and report.issued == 3
    assert joiner.poll() is None  # nothing left, and this run was joined
    assert _count(container, AccessCode, AccessCode.cycle == str(issue.cycle)) == 3
    source = AuditRecord.source == joining.SOURCE
    assert _count(container, AuditRecord, source, AuditRecord.action == "code:access:issue") == 3


@pytest.mark.slow
@POSTGRESQL
def test_a_worker_joins_the_rotation_under_way_and_each_code_is_issued_once(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    register = write_register(tmp_path / "register.csv", PROVIDERS, prefix="J", name="Join")
    assert cli("providers", "import", str(register)).exit_code == 0
    issue = _due_issue(container)
    cycle = str(issue.cycle)
    log = tmp_path / "worker.log"
    with log.open("w") as err:
        worker = cli.popen("worker", "--workers", "1", stdout=err, stderr=subprocess.STDOUT)
    try:
        _wait_for("the worker", lambda: "running" in log.read_text(), worker, log)
        assert joining.running_issue(container) is None  # nothing under way: it waits

        # The issue job as the lease holder runs it: its run in the ledger first (the
        # marker the worker looks for), then the rotation — here once the worker has
        # joined, so that both surely take part.
        assert ledger.claim(container, issue, holder=LEADER.holder, now=container.now())
        _wait_for("the worker to join", lambda: _count(container, AccessCode) > 0, worker, log)
        result = run_occurrence(container, issue, LEADER)
        assert result is not None and result.outcome == "done", result
        assert joining.running_issue(container) is None
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=300)
    output = log.read_text()
    assert worker.returncode == 0, output
    joined = re.search(rf"the rotation of cycle {cycle}: (\d+) codes? issued here", output)
    assert joined is not None and int(joined.group(1)) > 0, output

    assert_once_each(container, cycle, PROVIDERS)
    with container.uow() as uow:
        session = uow.session
        by_source = dict(
            session.execute(
                select(AuditRecord.source, func.count())
                .where(AuditRecord.action == str(AuditTag.CODE_ACCESS_ISSUE))
                .group_by(AuditRecord.source)
            ).all()
        )
    assert by_source.get(joining.SOURCE, 0) > 0, by_source  # the worker issued some
    assert sum(by_source.values()) == PROVIDERS
