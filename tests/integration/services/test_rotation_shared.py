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

from codeservice.bootstrap import Container
from tests.support.rotation import assert_once_each, codes_issued, write_register

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),  # SKIP LOCKED
]

PROVIDERS = 120


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


def test_two_processes_share_a_rotation_and_issue_each_code_once(
    cli, container: Container, tmp_path: Path
) -> None:
    register = write_register(tmp_path / "register.csv", PROVIDERS, prefix="S", name="Shared")
    assert cli("providers", "import", str(register)).exit_code == 0
    cycle = str(container.calendar.next_to_issue(container.now()).next())

    first, second = _rotation(cli, cycle), _rotation(cli, cycle)
    outputs = [process.communicate(timeout=600) for process in (first, second)]
    for process, (_out, err) in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, err
    issued = [_issued_now(out) for out, _err in outputs]
    assert all(count > 0 for count in issued), issued  # both took part
    assert sum(issued) == PROVIDERS
    assert_once_each(container, cycle, PROVIDERS)


def test_a_killed_process_leaves_its_providers_to_the_other(
    cli, container: Container, tmp_path: Path
) -> None:
    register = write_register(tmp_path / "register.csv", PROVIDERS, prefix="S", name="Shared")
    assert cli("providers", "import", str(register)).exit_code == 0
    cycle = str(container.calendar.next_to_issue(container.now()).next())

    doomed, survivor = _rotation(cli, cycle), _rotation(cli, cycle)
    deadline = time.monotonic() + 300
    while codes_issued(container, cycle) < 10:
        assert doomed.poll() is None, "the rotation finished before it could be killed"
        assert time.monotonic() < deadline, "the rotations made no progress"
        time.sleep(0.05)
    os.killpg(doomed.pid, signal.SIGKILL)  # with its claims in flight
    doomed.wait(timeout=30)

    out, err = survivor.communicate(timeout=600)
    assert survivor.returncode == 0, err
    assert _issued_now(out) > 0
    assert_once_each(container, cycle, PROVIDERS)
