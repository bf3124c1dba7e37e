"""CPU time and peak memory of a command's whole process tree.

``getrusage(RUSAGE_CHILDREN)`` alone misses a process pool's forkserver workers: they
are the forkserver's children, and the forkserver may outlive the command. So this
process becomes a child subreaper (Linux): every orphaned descendant is re-parented
here, and ``run`` reaps them all before reading the children's CPU time. Memory is the
sum of Pss (each shared page divided among the processes sharing it) over the command
and all its descendants, read from ``/proc/PID/smaps_rollup`` every few milliseconds.
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36
SAMPLE_SECONDS = 0.2  # each sample costs ~10 ms of CPU (smaps_rollup walks page tables)


@dataclass(frozen=True)
class TreeRun:
    cpu_seconds: float  # user + system, every process of the tree
    wall_seconds: float
    peak_pss_bytes: int  # 0 unless sampled
    stdout: str


def become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    except OSError:  # gone meanwhile
        pass
    return found


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (not ``root`` itself)."""
    found: list[int] = []
    todo = [root]
    while todo:
        for child in _children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return 1024 * int(line.split()[1])
    except OSError:  # gone meanwhile, or a zombie
        pass
    return 0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reap_all() -> None:
    """Wait for every child and re-parented orphan, until none is left."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def run(
    command: Sequence[str], env: Mapping[str, str] | None = None, *, sample_memory: bool = False
) -> TreeRun:
    """Run ``command`` to its end, and every process it started to theirs."""
    become_subreaper()
    _reap_all()  # nothing of an earlier run left to count here
    me = os.getpid()
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(SAMPLE_SECONDS):
            peak = max(peak, sum(pss_bytes(pid) for pid in descendants(me)))

    sampler = threading.Thread(target=sample, daemon=True)
    cpu, wall = _cpu(), time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own commands
        list(command), env=dict(env) if env is not None else None, stdout=subprocess.PIPE, text=True
    )
    if sample_memory:
        sampler.start()
    stdout, _ = process.communicate()
    _reap_all()
    wall = time.perf_counter() - wall
    done.set()
    if sample_memory:
        sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit status {process.returncode}")
    return TreeRun(_cpu() - cpu, wall, peak, stdout)
