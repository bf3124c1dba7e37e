"""A reissue killed part-way (a real ``codeservice reissue`` process, SIGKILL) and run
again replaces each code once: on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

from codeservice.bootstrap import Container
from codeservice.services.distribution.rotation import rotate
from codeservice.storage.models import AccessCode, Delivery, Reissue
from mailer.schema import outbox
from tests.conftest import Cli
from tests.support.register import import_register_file

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "config" / "providers.example.csv"
PRV001_SPOCS = {"priya.raman@example.org", "tom.whitaker@example.org"}
_PG_AUDIT_LOCK = 0x61756474  # storage.repositories.audit: appends are serialised on it


def test_a_reissue_killed_part_way_and_run_again_replaces_each_code_once(
    cli: Cli, container: Container, database_url: str
) -> None:
    import_register_file(container, REGISTER, actor="bmt")
    now = container.now()
    in_force = container.calendar.cycle_in_force(now)
    rotate(
        container.press, in_force, now=container.now(), actor="scheduler", source="test", workers=1
    )
    rotate(
        container.press,
        in_force.next(),
        now=container.now(),
        actor="scheduler",
        source="test",
        workers=1,
        force=True,
    )
    assert len(_codes(container)) == 2

    engine = create_engine(database_url) if database_url.startswith("postgresql") else None
    try:
        killed = _kill_part_way(cli, container, database_url, engine)
    finally:
        if engine is not None:
            engine.dispose()
    assert killed, "the reissue was never caught part-way"

    # Nothing of the killed reissue's transaction was committed: asked for, not done.
    with container.uow() as uow:
        pending = [r.id for r in uow.session.scalars(select(Reissue)) if r.completed_at is None]
        done_before = sum(r.codes_replaced for r in uow.session.scalars(select(Reissue)))
    assert len(pending) == 1
    live_before = [c for c in _codes(container) if c.state != "revoked"]
    assert len(live_before) == 2
    assert len([c for c in _codes(container) if c.state == "revoked"]) == done_before

    rerun = cli.run_process("reissue", "PRV001", "--reason", "Lost laptop")
    assert rerun.returncode == 0, rerun.stderr
    assert f"Reissue #{pending[0]} " in rerun.stdout
    assert "2 codes revoked and replaced, 4 emails queued" in rerun.stdout

    with container.uow() as uow:
        assert all(r.completed_at is not None for r in uow.session.scalars(select(Reissue)))
    codes = _codes(container)
    revoked = [c for c in codes if c.state == "revoked"]
    assert {c.id for c in live_before} <= {c.id for c in revoked}
    for old in revoked:
        assert len([c for c in codes if c.replaces_id == old.id]) == 1
    live = [c for c in codes if c.state != "revoked"]
    assert len(live) == 2 and all(c.replaces_id in {o.id for o in live_before} for c in live)
    with container.uow() as uow:
        for new in (c for c in codes if c.replaces_id is not None):
            deliveries = list(
                uow.session.scalars(select(Delivery).where(Delivery.access_code_id == new.id))
            )
            assert sorted(d.spoc.email for d in deliveries) == sorted(PRV001_SPOCS)
            assert len({d.document_message_id for d in deliveries if d.document_message_id}) == 2
        document_emails = uow.session.scalar(
            select(func.count())
            .select_from(outbox)
            .where(
                outbox.c.category == "access-code-document",
                outbox.c.recipients.in_(sorted(PRV001_SPOCS)),
            )
        )
    # Email 1 per SPoC for each code ever issued to PRV001: 2 first codes + replacements.
    assert document_emails == 2 * len(codes)


def _codes(container: Container) -> list[AccessCode]:
    with container.uow() as uow:
        prv001 = uow.register.get_provider("PRV001")
        assert prv001 is not None
        found = list(
            uow.session.scalars(
                select(AccessCode)
                .where(AccessCode.provider_id == prv001.id)
                .order_by(AccessCode.id)
            )
        )
        uow.session.expunge_all()
        return found


def _kill_part_way(
    cli: Cli, container: Container, database_url: str, engine: Engine | None
) -> bool:
    """Start ``codeservice reissue``, hold it part-way, SIGKILL it; True once caught.

    PostgreSQL: the test holds the audit chain's lock, so the reissue's one transaction
    stops at its first audit record — after revoking, replacing and queueing emails —
    and is killed there. SQLite: once the reissue has been asked for (its row
    committed) the test takes the write lock, so the process stops before its one
    transaction can begin; should it have finished first, it is tried again.
    """
    if engine is not None:
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_AUDIT_LOCK})
            process = _start(cli)
            try:
                _wait_for(lambda: _pg_waiting_on_audit(engine), process)
                _kill(process)
            finally:
                holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_AUDIT_LOCK})
                holder.commit()
        return True
    path = make_url(database_url).database
    assert path
    for _ in range(3):
        process = _start(cli)
        _wait_for(lambda: _sqlite_reissues(path) > 0, process)
        lock = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")
            pending = lock.execute(
                "SELECT count(*) FROM reissues WHERE completed_at IS NULL"
            ).fetchone()[0]
            if pending:
                _kill(process)
                return True
            process.wait(timeout=60)  # it finished first: try again
        finally:
            lock.execute("ROLLBACK")
            lock.close()
    return False


def _start(cli: Cli) -> subprocess.Popen[str]:
    return cli.popen(
        "reissue",
        "PRV001",
        "--reason",
        "Lost laptop",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill(process: subprocess.Popen[str]) -> None:
    assert process.poll() is None, "the reissue process ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL


def _wait_for(condition: object, process: subprocess.Popen[str]) -> None:
    assert callable(condition)
    deadline = time.monotonic() + 120
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the reissue process ended early ({process.returncode})")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the reissue process was never seen part-way")
        time.sleep(0.005)


def _sqlite_reissues(path: str) -> int:
    connection = sqlite3.connect(path, timeout=30)
    try:
        return int(connection.execute("SELECT count(*) FROM reissues").fetchone()[0])
    finally:
        connection.close()


def _pg_waiting_on_audit(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
            )
        ).scalar_one()
        revoked_meanwhile = connection.execute(
            text("SELECT count(*) FROM access_codes WHERE state = 'revoked'")
        ).scalar_one()
    assert revoked_meanwhile == 0  # uncommitted work is never visible
    return bool(waiting)
