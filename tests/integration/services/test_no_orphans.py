"""A rotation killed with SIGKILL leaves no process behind: its document workers, the
forkserver that made them and the resource tracker all exit within seconds."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, Cli

PROVIDERS = 60


def _session_members(session: int) -> dict[int, str]:
    """Every live process in ``session``, with its command line (from /proc)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, sid = fields[0], int(fields[3])
        if sid == session and state != "Z":
            found[int(entry.name)] = command
    return found


PLAN = "2024-01-08,2024-02-05,"  # security plan received, approved, changed


def _register(path: Path, providers: int = PROVIDERS) -> Path:
    lines = [
        "ref,name,prime_ref,spoc_name,spoc_email,"
        "security_plan_received,security_plan_approved,security_plan_changed"
    ]
    lines += [
        f"PRV{n:03d},Provider {n} Ltd,,SPoC {n},spoc{n}@provider{n}.example.org,{PLAN}"
        for n in range(1, providers + 1)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_killed_rotation_leaves_no_worker_or_forkserver_running(cli: Cli, tmp_path: Path) -> None:
    imported = cli("providers", "import", str(_register(tmp_path / "register.csv")))
    assert imported.exit_code == 0, imported.output
    env = {**cli.env, "PYTHONPATH": str(ROOT)}  # this checkout's code, in a real process
    rotation = subprocess.Popen(
        [sys.executable, "-m", "codeservice", "rotate", "2027-04", "--force", "--workers", "2"],
        env=env,
        cwd=cli.cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its session holds it and everything it starts
    )
    session = rotation.pid
    try:
        deadline = time.monotonic() + 120
        while True:
            members = _session_members(session)
            workers = [pid for pid, cmd in members.items() if "forkserver" in cmd]
            # the forkserver and at least two workers forked from it
            if len(workers) >= 3:
                break
            assert rotation.poll() is None, "the rotation ended before its workers started"
            assert time.monotonic() < deadline, members
            time.sleep(0.05)
        assert set(members) > {session}

        rotation.send_signal(signal.SIGKILL)
        rotation.wait(timeout=10)

        deadline = time.monotonic() + 5
        while (left := _session_members(session)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == {}, f"still running after the rotation was killed: {left}"
    finally:
        if rotation.poll() is None:
            rotation.kill()
            rotation.wait()
        for pid in _session_members(session):  # only what this test started
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_a_rotation_with_worker_processes_finishes_and_leaves_nothing_running(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("providers", "import", str(_register(tmp_path / "r.csv", 6))).exit_code == 0
    rotation = subprocess.Popen(
        [sys.executable, "-m", "codeservice", "rotate", "2027-04", "--force", "--workers", "2"],
        env={**cli.env, "PYTHONPATH": str(ROOT)},
        cwd=cli.cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out, err = rotation.communicate(timeout=300)
    assert rotation.returncode == 0, err
    assert "6 codes issued now" in out
    deadline = time.monotonic() + 5
    while (left := _session_members(rotation.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == {}
