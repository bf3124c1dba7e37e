"""A rotation killed part-way (SIGKILL, a real process) and run again finishes the job
with exactly one code per provider and one email 1 per SPoC."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from codeservice.bootstrap import Container
from codeservice.domain.wording import plural
from codeservice.storage.models import AccessCode, Delivery, Spoc
from mailer.schema import outbox

pytestmark = pytest.mark.slow

# Enough providers, done one document at a time, that the rotation is still running
# when the test sees its first codes: with the C spin a small register finished between
# two polls on a loaded machine.
PROVIDERS = 60


PLAN = "2024-01-08,2024-02-05,"  # security plan received, approved, changed


def _register(path: Path) -> Path:
    lines = [
        "ref,name,prime_ref,spoc_name,spoc_email,"
        "security_plan_received,security_plan_approved,security_plan_changed"
    ]
    for number in range(1, PROVIDERS + 1):
        lines.append(
            f"P{number:03},Provider {number} Ltd,,Spoc A{number},a{number}@example.org,{PLAN}"
        )
        lines.append(f"P{number:03},Provider {number} Ltd,,Spoc B{number},b{number}@example.net,,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _codes(container: Container, cycle: str) -> int:
    with container.uow() as uow:
        return uow.session.scalar(
            select(func.count()).select_from(AccessCode).where(AccessCode.cycle == cycle)
        )


def test_a_killed_rotation_rerun_gives_one_code_and_one_email_per_spoc(
    cli, container: Container, tmp_path: Path
) -> None:
    assert cli("providers", "import", str(_register(tmp_path / "register.csv"))).exit_code == 0
    cycle = str(container.calendar.next_to_issue(container.now()).next())

    process = cli.popen(
        "rotate",
        cycle,
        "--force",
        "--workers",
        "1",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while _codes(container, cycle) < 3:
        assert process.poll() is None, "the rotation finished before it could be killed"
        assert time.monotonic() < deadline, "the rotation made no progress"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    done_before_rerun = _codes(container, cycle)
    assert 3 <= done_before_rerun < PROVIDERS

    rerun = cli.run_process("rotate", cycle, "--force")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{plural(PROVIDERS - done_before_rerun, 'code')} issued now" in rerun.stdout

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
