"""Milliseconds per access-code document: building and encrypting, timed apart.

    .venv/bin/python bench/documents.py [--documents 50]

Builds (and then encrypts) one document per made-up provider in this process, as one
worker of a rotation does, and prints the median and 95th percentile of each step in
CPU time and in wall time. The first build is shown apart: it prepares the template
(styles, and each section built once) that later builds in the thread reuse. On a busy
machine, trust the CPU times.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

from codeservice.documents import DocumentContent

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
BASE = DocumentContent(
    provider_name="Bench Provider Ltd",
    provider_ref="B00000",
    prime_name="Bench Prime plc",
    cycle="2027-04",
    active_from=datetime(2027, 4, 4, 23, 0, tzinfo=UTC),
    active_until=datetime(2027, 5, 2, 23, 0, tzinfo=UTC),
    issued_at=datetime(2027, 3, 31, 8, 0, tzinfo=UTC),
    access_code="Km7pQ2xR",
    document_ref="PDAC-2027-04-B00000-1",
)


def contents(count: int) -> list[DocumentContent]:
    draw = random.Random(2027)  # noqa: S311 - made-up codes for a benchmark
    return [
        replace(
            BASE,
            provider_name=f"Bench Provider {number} Ltd",
            provider_ref=f"B{number:05}",
            prime_name=None if number % 3 == 0 else BASE.prime_name,
            access_code="".join(draw.choice(CODE_ALPHABET) for _ in range(8)),
            document_ref=f"PDAC-2027-04-B{number:05}-1",
        )
        for number in range(1, count + 1)
    ]


def timed(step: Callable[[], bytes]) -> tuple[float, float, bytes]:
    """(CPU ms, wall ms, result)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = step()
    return 1000 * (time.process_time() - cpu), 1000 * (time.perf_counter() - wall), result


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def line(label: str, cpu: list[float], wall: list[float]) -> str:
    median = f"{statistics.median(cpu):6.1f} ms CPU {statistics.median(wall):6.1f} ms wall"
    return f"  {label:<12} median {median}   p95 {p95(cpu):6.1f} ms CPU {p95(wall):6.1f} ms wall"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=50)
    args = parser.parse_args()
    # Here, not at the top: ``bench/run.py`` P1 takes ``contents`` from here, and its
    # main process, like a rotation's, must not load the builder its workers load.
    from codeservice.documents import build_document, encrypt_document

    build_cpu: list[float] = []
    build_wall: list[float] = []
    encrypt_cpu: list[float] = []
    encrypt_wall: list[float] = []
    first: tuple[float, float] | None = None
    for content in contents(max(args.documents, 2)):
        cpu, wall, docx = timed(partial(build_document, content))
        if first is None:
            first = cpu, wall
        else:
            build_cpu.append(cpu)
            build_wall.append(wall)
        cpu, wall, _ = timed(partial(encrypt_document, docx, "bench-unlock-code"))
        encrypt_cpu.append(cpu)
        encrypt_wall.append(wall)

    assert first is not None
    print(f"{args.documents} documents, ms per document")
    print(f"  first build  {first[0]:6.1f} ms CPU {first[1]:6.1f} ms wall (prepares the template)")
    print(line("build", build_cpu, build_wall))
    print(line("encrypt", encrypt_cpu, encrypt_wall))


if __name__ == "__main__":
    main()
