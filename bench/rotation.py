"""Rotation throughput: providers per second and milliseconds per document.

    .venv/bin/python bench/rotation.py [--providers 500] [--spocs 2] [--workers 0]
                                       [--database-url URL]

Builds a throwaway service (SQLite in a temporary folder unless --database-url names
a PostgreSQL database to use — its tables must be empty), imports a register of N
prime providers, runs a real rotation and prints where the time went. Building and
encrypting run in the worker processes, so their per-document times are CPU time in
a worker; "commit" is the main process's transaction per provider (code, deliveries,
link tokens, queued email 1s, audit record).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# every provider with an approved security plan
from p2_rotate import import_bench_register, write_register

from codeservice.bootstrap import bootstrap
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.rotation import rotate
from codeservice.services.operations.setup import initialise

ISSUE_TIME = datetime(2027, 3, 31, 8, 0, 5, tzinfo=UTC)  # cycle 2027-04 is due


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--providers", type=int, default=500)
    parser.add_argument("--spocs", type=int, default=2, help="SPoCs per provider")
    parser.add_argument(
        "--workers", type=int, default=0, help="document processes (0: one per core)"
    )
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="codeservice-bench-") as home:
        env = dict(os.environ, CODESERVICE_HOME=home, CODESERVICE_LOG_LEVEL="WARNING")
        if args.database_url:
            env["CODESERVICE_DATABASE_URL"] = args.database_url
        app = bootstrap(env, clock=lambda: ISSUE_TIME)
        initialise(app.installation)
        register = Path(home) / "register.csv"
        write_register(register, args.providers, args.spocs)
        import_bench_register(app, register)

        started = time.perf_counter()
        report = rotate(
            app.press,
            Cycle.parse("2027-04"),
            now=app.now(),
            actor="bench",
            source="bench",
            workers=args.workers or None,
        )
        elapsed = time.perf_counter() - started
        app.close()

    n = max(report.issued, 1)
    backend = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(
        f"rotation of {report.issued} providers, {report.emails_queued} emails, {backend}, "
        f"{args.workers or os.cpu_count()} document processes on {os.cpu_count()} cores"
    )
    print(f"  wall time           {elapsed:8.2f} s")
    print(f"  throughput          {report.issued / elapsed:8.1f} providers/s")
    print(f"  per provider (wall) {1000 * elapsed / n:8.1f} ms")
    print("  per document, in the worker processes:")
    print(f"    build             {1000 * report.build_seconds / n:8.1f} ms")
    print(f"    encrypt           {1000 * report.encrypt_seconds / n:8.1f} ms")
    print("  per provider, in the main process:")
    print(f"    commit + queue    {1000 * report.commit_seconds / n:8.1f} ms")


if __name__ == "__main__":
    main()
