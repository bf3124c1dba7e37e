"""P2 on PostgreSQL: one ``codeservice rotate`` process against two sharing the rotation.

    .venv/bin/python bench/p2_workers.py [--providers 600] [--postgres ADMIN_URL]

``--workers 1``: each process makes its documents in one thread, as a process given
one core of its own would: then the speed-up is what a second machine adds.

Makes a throwaway database (dropped at the end), imports the providers, and times the
same cycle's rotation run by one process, then (on a fresh copy of the register) by two
processes started together, which share it by claiming providers (SKIP LOCKED). Each
process uses every core for its documents by default, so on one machine two processes
only add the second main process's work alongside: the speed-up shows what the writer
costs, and how far one database takes several machines. Also: SQL statements per
provider of a rotation on PostgreSQL, counted in this process.

The wall-time speed-up depends on the cores the machine has free. So each run's CPU
time is taken too, every process counted (document workers included): two processes
each on cores of their own would take about half of what two use here, which gives
the speed-up a second machine brings, whatever the load (the database's CPU aside).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from p2_rotate import count_statements, env_without_service, prepared_service
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tree import become_subreaper

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class ThrowawayDatabase:
    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.name = f"codeservice_bench_{uuid.uuid4().hex[:8]}"
        self.url = make_url(admin_url).set(database=self.name).render_as_string(False)

    def __enter__(self) -> str:
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def __exit__(self, *_exc: object) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def time_processes(
    admin_url: str, providers: int, processes: int, workers: int = 0
) -> tuple[float, float]:
    """(wall seconds until ``processes`` rotate processes started together are all done,
    CPU seconds of all of them and their document workers)."""
    with (
        tempfile.TemporaryDirectory(prefix="codeservice-bench-") as home,
        ThrowawayDatabase(admin_url) as url,
    ):
        env = env_without_service(CODESERVICE_HOME=home, CODESERVICE_DATABASE_URL=url)
        cycle = prepared_service(home, providers, env)
        command = Path(sys.executable).with_name("codeservice")
        become_subreaper()  # the forkservers' workers are counted too (``tree``)
        own = _children()  # this process's own forkserver, from counting statements
        cpu = _children_cpu()
        started = time.perf_counter()
        running = [
            subprocess.Popen(  # noqa: S603
                [str(command), "rotate", cycle, "--force", "--workers", str(workers)],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            for _ in range(processes)
        ]
        for process in running:
            if process.wait() != 0:
                raise SystemExit(f"rotate failed with exit status {process.returncode}")
        wall = time.perf_counter() - started
        while orphans := _children() - own:  # every re-parented document worker, reaped
            for pid in orphans:
                os.waitpid(pid, 0)
        return wall, _children_cpu() - cpu


def _children() -> set[int]:
    me = Path(f"/proc/{os.getpid()}/task")
    return {int(pid) for task in me.iterdir() for pid in (task / "children").read_text().split()}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--providers", type=int, default=600)
    parser.add_argument("--postgres", default=POSTGRES_ADMIN, help="admin URL")
    parser.add_argument(
        "--workers", type=int, default=0, help="document processes of each (0: one per core)"
    )
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores")
    with (
        tempfile.TemporaryDirectory(prefix="codeservice-bench-") as home,
        ThrowawayDatabase(args.postgres) as url,
    ):
        statements, issued, cpu_ms = count_statements(
            200, extra_env={"CODESERVICE_DATABASE_URL": url}, home=home
        )
    print(
        f"PostgreSQL: {statements / issued:.2f} statements per provider, "
        f"main process {cpu_ms:.1f} ms CPU per provider ({issued} providers)"
    )
    one, one_cpu = time_processes(args.postgres, args.providers, 1, args.workers)
    two, two_cpu = time_processes(args.postgres, args.providers, 2, args.workers)
    n = args.providers
    for label, wall, cpu in (("1 process  ", one, one_cpu), ("2 processes", two, two_cpu)):
        print(
            f"{label}: {wall:6.1f} s, {1000 * wall / n:5.1f} ms per provider; "
            f"CPU {1000 * cpu / n:5.1f} ms per provider (all processes)"
        )
    print(f"speed-up 1 -> 2 processes: {one / two:.2f}x (wall, on this machine, at its load)")
    print(
        f"if each process had its own cores (from CPU, which the load does not move): "
        f"{2 * one_cpu / two_cpu:.2f}x"
    )
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
