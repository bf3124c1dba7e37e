"""A rotation killed part-way (SIGKILL, a real process) and run again finishes the job
with exactly one code per provider and one email 1 per SPoC."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from codeservice.bootstrap import Container
from codeservice.domain.wording import plural
from tests.support.rotation import assert_once_each, codes_issued, write_register

pytestmark = pytest.mark.slow

# Enough providers, done one document at a time, that the rotation is still running
# when the test sees its first codes: with the C spin a small register finished between
# two polls on a loaded machine.
PROVIDERS = 60


def test_a_killed_rotation_rerun_gives_one_code_and_one_email_per_spoc(
    cli, container: Container, tmp_path: Path
) -> None:
    register = write_register(tmp_path / "register.csv", PROVIDERS)
    assert cli("providers", "import", str(register)).exit_code == 0
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
    while codes_issued(container, cycle) < 3:
        assert process.poll() is None, "the rotation finished before it could be killed"
        assert time.monotonic() < deadline, "the rotation made no progress"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    done_before_rerun = codes_issued(container, cycle)
    assert 3 <= done_before_rerun < PROVIDERS

    rerun = cli.run_process("rotate", cycle, "--force")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{plural(PROVIDERS - done_before_rerun, 'code')} issued now" in rerun.stdout

    assert_once_each(container, cycle, PROVIDERS)
