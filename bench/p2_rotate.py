"""P2: ``codeservice rotate`` against the scripted pipeline someone would write.

    .venv/bin/python bench/p2_rotate.py [--quick] [--statements-only]

The baseline is a script, written into a temporary folder and run as a process of its
own: for each provider it builds a .docx with python-docx and encrypts it by calling
the msoffcrypto-tool command line (``msoffcrypto-tool -e -p PASSWORD in out``). It runs
on a sample of the providers (its time per provider does not depend on how many);
``rotate`` runs on all of them, as a real ``codeservice rotate`` process on SQLite.
The ratio is the baseline's seconds per provider over rotate's. Goal: at least 10x.

Also the SQL statements the main process of a rotation sends per provider, counted by
an event listener on the engine in a rotation run in this process.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tree

if TYPE_CHECKING:
    from codeservice.bootstrap import Container

PLAN = "2024-01-08,2024-02-05,"  # security plan received, approved, changed
SPOCS = 2

BASELINE = textwrap.dedent(
    '''
    """Per provider: a .docx with python-docx, encrypted by the msoffcrypto-tool CLI."""
    import secrets
    import subprocess
    import sys
    from pathlib import Path

    from docx import Document

    folder, count, tool = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    for number in range(1, count + 1):
        code = secrets.token_urlsafe(6)
        document = Document()
        document.add_heading(f"Access code for Bench Provider {number} Ltd", 0)
        table = document.add_table(rows=4, cols=2)
        for row, (label, value) in enumerate(
            [("Provider", f"B{number:05}"), ("Cycle", "2027-04"),
             ("Reference", f"PDAC-2027-04-B{number:05}"), ("Code", code)]
        ):
            table.cell(row, 0).text, table.cell(row, 1).text = label, value
        for letter in code:
            document.add_paragraph(f"{letter}: spelt out")
        document.add_paragraph("Keep this code secret. Do not share it.")
        plain, encrypted = folder / f"p{number}.docx", folder / f"p{number}.enc.docx"
        document.save(plain)
        password = secrets.token_hex(9)
        subprocess.run([tool, "-e", "-p", password, str(plain), str(encrypted)], check=True)
        plain.unlink()
    '''
)


@dataclass(frozen=True)
class P2Result:
    providers: int
    rotate_seconds: float
    baseline_providers: int
    baseline_seconds: float
    rotate_cpu: float  # seconds, the whole process tree
    baseline_cpu: float

    @property
    def cpu_ratio(self) -> float:
        """CPU per provider, baseline over rotate: what a busy machine cannot change."""
        per_baseline = self.baseline_cpu / self.baseline_providers
        return per_baseline / (self.rotate_cpu / self.providers)

    @property
    def ratio(self) -> float:
        per_baseline = self.baseline_seconds / self.baseline_providers
        return per_baseline / (self.rotate_seconds / self.providers)


def env_without_service(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESERVICE_")}
    env.update(CODESERVICE_LOG_LEVEL="WARNING", **extra)
    return env


def write_register(path: Path, providers: int, spocs: int = SPOCS) -> None:
    lines = [
        "ref,name,prime_ref,spoc_name,spoc_email,"
        "security_plan_received,security_plan_approved,security_plan_changed"
    ]
    for number in range(1, providers + 1):
        for spoc in range(1, spocs + 1):
            plan = PLAN if spoc == 1 else ",,"
            lines.append(
                f"B{number:05},Bench Provider {number} Ltd,,Spoc {spoc} of {number},"
                f"spoc{spoc}.p{number}@example.org,{plan}"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def import_bench_register(app: Container, path: Path) -> None:
    """Import the register file at ``path``, as ``codeservice providers import`` does."""
    from codeservice.services.register.providers import RegisterRules, import_register_file

    now = app.now()
    with app.transaction() as uow:
        rules = RegisterRules.of(app.settings)
        import_register_file(uow, app.keyring, rules, path, actor="bench", now=now)


def prepared_service(home: str, providers: int, env: dict[str, str]) -> str:
    """Initialise a service in ``home`` with ``providers`` primes; the cycle to issue."""
    from codeservice.bootstrap import bootstrap
    from codeservice.services.operations.setup import initialise

    app = bootstrap(env)
    initialise(app.installation)
    register = Path(home) / "register.csv"
    write_register(register, providers)
    import_bench_register(app, register)
    cycle = str(app.calendar.next_to_issue(datetime.now(UTC)).next())
    app.close()
    return cycle


def time_rotate(providers: int) -> tree.TreeRun:
    """``codeservice rotate`` over ``providers`` primes on SQLite (its whole tree)."""
    with tempfile.TemporaryDirectory(prefix="codeservice-bench-") as home:
        env = env_without_service(CODESERVICE_HOME=home)
        cycle = prepared_service(home, providers, env)
        command = Path(sys.executable).with_name("codeservice")
        return tree.run([str(command), "rotate", cycle, "--force"], env)


def time_baseline(providers: int) -> tree.TreeRun:
    """The scripted python-docx + msoffcrypto-tool CLI pipeline (its whole tree)."""
    tool = Path(sys.executable).with_name("msoffcrypto-tool")
    with tempfile.TemporaryDirectory(prefix="codeservice-bench-") as folder:
        script = Path(folder) / "pipeline.py"
        script.write_text(BASELINE)
        return tree.run([sys.executable, str(script), folder, str(providers), str(tool)])


def p2_measure(quick: bool) -> P2Result:
    providers = 300 if quick else 2000
    sample = 30 if quick else 100
    baseline = time_baseline(sample)
    rotate = time_rotate(providers)
    return P2Result(
        providers,
        rotate.wall_seconds,
        sample,
        baseline.wall_seconds,
        rotate.cpu_seconds,
        baseline.cpu_seconds,
    )


def count_statements(
    providers: int, extra_env: dict[str, str] | None = None, home: str | None = None
) -> tuple[int, int, float]:
    """(statements in the rotation, providers issued, main-process CPU ms per provider)
    of a rotation run in this process, its statements counted on the engine. An
    INSERT of many rows counts once when the driver gets them in one statement."""
    if home is None:
        with tempfile.TemporaryDirectory(prefix="codeservice-bench-") as folder:
            return count_statements(providers, extra_env, folder)

    from sqlalchemy import event

    from codeservice.bootstrap import bootstrap
    from codeservice.domain.calendar import Cycle
    from codeservice.services.distribution.rotation import rotate

    env = env_without_service(CODESERVICE_HOME=home, **(extra_env or {}))
    cycle = prepared_service(home, providers, env)
    app = bootstrap(env)
    counted = [0]

    def count(*_args: Any) -> None:
        counted[0] += 1

    event.listen(app.engine, "before_cursor_execute", count)
    cpu = time.process_time()
    report = rotate(
        app.press, Cycle.parse(cycle), now=app.now(), actor="bench", source="bench", force=True
    )
    cpu = time.process_time() - cpu
    app.close()
    return counted[0], report.issued, 1000 * cpu / max(report.issued, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--statements-only", action="store_true")
    parser.add_argument("--providers", type=int, default=200, help="for the statement count")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores")
    statements, issued, cpu_ms = count_statements(args.providers)
    print(
        f"statements: {statements} for {issued} providers = {statements / issued:.2f} "
        f"per provider; main process {cpu_ms:.1f} ms CPU per provider"
    )
    if args.statements_only:
        return
    result = p2_measure(args.quick)
    print(
        f"rotate {result.providers} providers in {result.rotate_seconds:.1f} s; baseline "
        f"{result.baseline_providers} in {result.baseline_seconds:.1f} s; "
        f"{result.ratio:.2f}x faster; CPU per provider {result.cpu_ratio:.2f}x less"
    )


if __name__ == "__main__":
    main()
