"""Two real processes rotating the same cycle on one PostgreSQL database share the work:
each provider is claimed by one of them (SKIP LOCKED), and one that is killed leaves its
providers to the other. Either way: one code per provider and one email 1 per SPoC."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from codeservice.bootstrap import Container
from codeservice.storage.models import AccessCode, Delivery, Spoc
from mailer.schema import outbox

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),  # SKIP LOCKED
]

PROVIDERS = 120
PLAN = "2024-01-08,2024-02-05,"  # security plan received, approved, changed


def _register(path: Path) -> Path:
    lines = [
        "ref,name,prime_ref,spoc_name,spoc_email,"
        "security_plan_received,security_plan_approved,security_plan_changed"
    ]
    for number in range(1, PROVIDERS + 1):
        lines.append(
            f"S{number:03},Shared {number} Ltd,,Spoc A{number},a{number}@example.org,{PLAN}"
        )
        lines.append(f"S{number:03},Shared {number} Ltd,,Spoc B{number},b{number}@example.net,,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _codes(container: Container, cycle: str) -> int:
    with container.uow() as uow:
        return uow.session.scalar(
            select(func.count()).select_from(AccessCode).where(AccessCode.cycle == cycle)
        )


def _issued_now(stdout: str) -> int:
    found = re.search(r"(\d+|No) codes? issued now", stdout)
    assert found, stdout
    return 0 if found.group(1) == "No" else int(found.group(1))


def _rotation(cli, cycle: str) -> subprocess.Popen[str]:
    # One document thread each: the work takes long enough for both to take part.
    return cli.popen(
        "rotate",
        cycle,
        "--force",
        "--workers",
        "1",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _assert_once_each(container: Container, cycle: str) -> None:
    with container.uow() as uow:
        session = uow.session
        per_provider = session.execute(
            select(AccessCode.provider_id, func.count())
            .where(AccessCode.cycle == cycle)
            .group_by(AccessCode.provider_id)
        ).all()
        assert len(per_provider) == PROVIDERS
        assert all(count == 1 for _provider, count in per_provider)
        spocs = session.scalar(select(func.count()).select_from(Spoc))
        deliveries = session.execute(
            select(Delivery.spoc_id, func.count()).group_by(Delivery.spoc_id)
        ).all()
        assert len(deliveries) == spocs == 2 * PROVIDERS
        assert all(count == 1 for _spoc, count in deliveries)
        emails = session.execute(
            select(outbox.c.recipients, func.count())
            .where(outbox.c.category == "access-code-document")
            .group_by(outbox.c.recipients)
        ).all()
        assert len(emails) == spocs
        assert all(count == 1 for _to, count in emails)


def test_two_processes_share_a_rotation_and_issue_each_code_once(
    cli, container: Container, tmp_path: Path
) -> None:
    assert cli("providers", "import", str(_register(tmp_path / "register.csv"))).exit_code == 0
    cycle = str(container.calendar.next_to_issue(container.now()).next())

    first, second = _rotation(cli, cycle), _rotation(cli, cycle)
    outputs = [process.communicate(timeout=600) for process in (first, second)]
    for process, (_out, err) in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, err
    issued = [_issued_now(out) for out, _err in outputs]
    assert all(count > 0 for count in issued), issued  # both took part
    assert sum(issued) == PROVIDERS
    _assert_once_each(container, cycle)


def test_a_killed_process_leaves_its_providers_to_the_other(
    cli, container: Container, tmp_path: Path
) -> None:
    assert cli("providers", "import", str(_register(tmp_path / "register.csv"))).exit_code == 0
    cycle = str(container.calendar.next_to_issue(container.now()).next())

    doomed, survivor = _rotation(cli, cycle), _rotation(cli, cycle)
    deadline = time.monotonic() + 300
    while _codes(container, cycle) < 10:
        assert doomed.poll() is None, "the rotation finished before it could be killed"
        assert time.monotonic() < deadline, "the rotations made no progress"
        time.sleep(0.05)
    os.killpg(doomed.pid, signal.SIGKILL)  # with its claims in flight
    doomed.wait(timeout=30)

    out, err = survivor.communicate(timeout=600)
    assert survivor.returncode == 0, err
    assert _issued_now(out) > 0
    _assert_once_each(container, cycle)
