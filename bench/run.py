"""The performance goals as ratios, each with its baseline measured in the same run.

    .venv/bin/python bench/run.py [--quick] [--only P1,P5]      (or: make bench)

Absolute times drift with the machine's load; a ratio taken in one run does not.

P1  CPU per document, building and encrypting it in a rotation's document pool, summed
    over the whole process tree (main, forkserver, workers, their start-up included),
    against the floor: a native C loop of the same 100,000-round SHA-512 spin (compiled
    here with gcc against OpenSSL), timed as CPU. Goal: at most 1.8x.
P2  ``codeservice rotate`` of 300 providers (2,000 without --quick) on SQLite, against
    a script that builds each provider's .docx with python-docx and encrypts it with the
    msoffcrypto-tool command line (run on a sample of them: its cost per provider is
    flat), in seconds per provider. Goal: at least 10x faster.
P3  ``codeservice mail send --once`` of real messages (email 1 with its encrypted document
    attached; 600 with ``--quick``, else 2,000) over 10 connections to an aiosmtpd server
    on 127.0.0.1 that discards them, against a raw aiosmtplib blast of the same bytes
    over 10 connections to the same server; both whole processes. Goal: at least 0.8x.
P4  The helpline API (a challenge and its answer) with 8 closed-loop clients, in
    requests a second against ``GET /healthz`` served by the same app, on SQLite and on
    a throwaway PostgreSQL database (made and dropped here; ``--postgres`` names the
    server). Goal: at least 0.5x. Also the p99 of each request at a steady 50 requests
    a second (goal: at most 25 ms), and under twice the peak rate the pairs completed
    against that peak (goal: at least 0.9) with the excess refused at once (503).
P5  Peak memory of ``codeservice rotate``: Pss summed over the rotate process and every
    descendant, at 2,000 providers against 500 (``--quick``: 400 against 100). Goal:
    within 10% (a ratio of at most 1.1), and under 300 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import tree

SPIN_COUNT = 100_000
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
OPTIONS = {"postgres": POSTGRES_ADMIN}
FLOOR_C = textwrap.dedent(
    r"""
    #define OPENSSL_SUPPRESS_DEPRECATED
    #include <openssl/sha.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <time.h>

    int main(int argc, char **argv) {
        int rounds = atoi(argv[1]);
        unsigned long spins = strtoul(argv[2], NULL, 10);
        unsigned char block[4 + SHA512_DIGEST_LENGTH], *hash = block + 4, seed[52];
        struct timespec start, end;
        SHA512_CTX ctx;
        memset(seed, 'x', sizeof seed);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
        for (int r = 0; r < rounds; r++) {
            seed[0] = (unsigned char)r;
            SHA512_Init(&ctx); SHA512_Update(&ctx, seed, sizeof seed); SHA512_Final(hash, &ctx);
            for (unsigned long i = 0; i < spins; i++) {
                block[0] = i; block[1] = i >> 8; block[2] = i >> 16; block[3] = i >> 24;
                SHA512_Init(&ctx); SHA512_Update(&ctx, block, sizeof block);
                SHA512_Final(hash, &ctx);
            }
        }
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end);
        printf("%.9f %02x\n", ((end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9)
               / rounds, hash[0]);
        return 0;
    }
    """
)


def row(work: str, measured: str, baseline: str, ratio: float, goal: str) -> None:
    print(f"  {work:<4} {measured:<28} {baseline:<34} {ratio:>6.2f}x  goal {goal}")


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESERVICE_")}
    env.update(CODESERVICE_LOG_LEVEL="WARNING", **extra)
    return env


# --- P1: CPU per document against the native spin ---------------------------------------


def spin_floor(folder: Path, rounds: int) -> float:
    """CPU seconds of one 100,000-round spin in C."""
    source, program = folder / "spin.c", folder / "spin"
    source.write_text(FLOOR_C)
    subprocess.run(  # noqa: S603
        ["gcc", "-O2", "-o", str(program), str(source), "-lcrypto"],  # noqa: S607
        check=True,
    )
    out = subprocess.run(  # noqa: S603
        [str(program), str(rounds), str(SPIN_COUNT)], check=True, capture_output=True, text=True
    ).stdout
    return float(out.split()[0])


def documents_child(count: int) -> None:
    """In a subprocess: ``count`` documents through a rotation's document pool."""
    from documents import contents

    from codeservice.services.distribution.document_work import (
        DocumentJob,
        document_pool,
        make_document,
    )

    jobs = [DocumentJob(c, unlock_code=f"unlock-{c.provider_ref}") for c in contents(count)]
    with document_pool() as pool:
        for document in pool.map(make_document, jobs):
            assert document.data


def p1(quick: bool) -> None:
    count = 60 if quick else 240
    with tempfile.TemporaryDirectory(prefix="codeservice-bench-") as folder:
        floor = spin_floor(Path(folder), 20 if quick else 60)
    run = tree.run([sys.executable, __file__, "--documents-child", str(count)], _env())
    per_document = run.cpu_seconds / count
    row(
        "P1",
        f"{1000 * per_document:.1f} ms CPU per document",
        f"{1000 * floor:.1f} ms CPU per native spin",
        per_document / floor,
        "<= 1.8x",
    )
    print(f"       ({count} documents, {run.wall_seconds:.1f} s wall, {os.cpu_count()} cores)")


# --- P2: rotate against the scripted python-docx + msoffcrypto-tool CLI pipeline ----------


def p2(quick: bool) -> None:
    from p2_rotate import p2_measure

    result = p2_measure(quick)
    row(
        "P2",
        f"{1000 * result.rotate_seconds / result.providers:.1f} ms/provider rotate",
        f"{1000 * result.baseline_seconds / result.baseline_providers:.0f} ms/provider script",
        result.ratio,
        ">= 10x",
    )
    print(
        f"       ({result.providers} providers in {result.rotate_seconds:.1f} s; the script "
        f"did {result.baseline_providers} in {result.baseline_seconds:.1f} s. CPU per "
        f"provider, whole process trees: {1000 * result.rotate_cpu / result.providers:.1f} ms "
        f"against {1000 * result.baseline_cpu / result.baseline_providers:.1f} ms, "
        f"{result.cpu_ratio:.2f}x)"
    )


# --- P3: the outbox against a raw SMTP blast ----------------------------------------------


def p3(quick: bool) -> None:
    from p3_outbox import p3_run

    result = p3_run(600 if quick else 2000, _env())
    row(
        "P3",
        f"{result.send_seconds:.1f} s mail send --once",
        f"{result.blast_seconds:.1f} s raw aiosmtplib blast",
        result.blast_seconds / result.send_seconds,
        ">= 0.8x",
    )
    net = (result.blast_seconds - result.blast_empty_seconds) / (
        result.send_seconds - result.send_empty_seconds
    )
    print(
        f"       ({result.messages} messages of {result.message_bytes / 1e3:.0f} KB; start-up "
        f"with nothing to send: {result.send_empty_seconds:.1f} s and "
        f"{result.blast_empty_seconds:.1f} s, net of which {net:.2f}x; "
        f"load {os.getloadavg()[0]:.2f})"
    )


# --- P4: the helpline under load, against /healthz ----------------------------------


def p4(quick: bool) -> None:
    from helpline_load import p4_load

    for admin_url in (None, OPTIONS["postgres"]):
        load = p4_load(admin_url, quick)
        row(
            "P4",
            f"{load.request_rate:.0f} req/s helpline, {load.backend}",
            f"{load.healthz_rate:.0f} req/s GET /healthz",
            load.request_rate / load.healthz_rate,
            ">= 0.5x",
        )
        lean_rate = 2 * load.overload_peaks[0]
        print(
            f"       (with the lean client on both sides, the floor the server's rather than "
            f"httpx's: {lean_rate:.0f} req/s helpline, {load.lean_floor:.0f} req/s GET /healthz, "
            f"{lean_rate / load.lean_floor:.2f}x)"
        )
        print(
            f"       (steady {load.steady_rate:.0f} req/s: p99 {load.steady_p99_ms:.1f} ms, "
            f"goal <= 25 ms; at 2x the peak (lean client: {load.overload_peaks[0]:.0f} pairs/s "
            f"before, {load.overload_peaks[1]:.0f} after): "
            f"{load.overload_ratio:.2f} of the peak's pairs done, goal >= 0.9, "
            f"{load.shed} of {load.offered} requests refused with 503 "
            f"({load.shed_answers} of them answers), p50 {load.shed_p50_ms:.1f} ms, "
            f"p99 {load.shed_p99_ms:.1f} ms, the generator's CPU {load.generator_cpu_ms:.2f} ms "
            f"a pair, at worst {load.generator_lag_ms:.0f} ms behind its schedule; "
            f"server CPU per request {load.cpu_ms:.1f} ms, "
            f"per GET /healthz {load.healthz_cpu_ms:.1f} ms, a ratio that the load does not move: "
            f"{load.healthz_cpu_ms / load.cpu_ms:.2f}x; the clients' CPU per request "
            f"{load.clients_ms:.1f} ms helpline, {load.healthz_clients_ms:.1f} ms GET /healthz, "
            f"the database's {load.database_ms:.1f} ms)"
        )
        sys.stdout.flush()


# --- P5: peak memory of rotate, against itself at a quarter of the providers --------------


def rotate_peak(providers: int) -> tuple[int, float]:
    """(peak Pss bytes of the whole tree, wall seconds) of ``codeservice rotate``."""
    from p2_rotate import import_bench_register, write_register

    from codeservice.bootstrap import bootstrap
    from codeservice.services.operations.setup import initialise

    with tempfile.TemporaryDirectory(prefix="codeservice-bench-") as home:
        env = _env(CODESERVICE_HOME=home)
        app = bootstrap(env)
        initialise(app.installation)
        register = Path(home) / "register.csv"
        write_register(register, providers, 2)
        import_bench_register(app, register)
        cycle = str(app.calendar.next_to_issue(datetime.now(UTC)).next())
        app.close()
        command = Path(sys.executable).with_name("codeservice")
        run = tree.run([str(command), "rotate", cycle, "--force"], env, sample_memory=True)
    issued = f"{providers} codes issued now"
    if issued not in " ".join(run.stdout.split()):  # a register the rotation skips measures nothing
        raise SystemExit(f"P5: rotate did not report {issued!r}:\n{run.stdout}")
    return run.peak_pss_bytes, run.wall_seconds


def p5(quick: bool) -> None:
    small, large = (100, 400) if quick else (500, 2000)
    low, low_wall = rotate_peak(small)
    high, high_wall = rotate_peak(large)
    per_provider = (high - low) / (large - small)
    row(
        "P5",
        f"{high / 1e6:.0f} MB at {large} providers",
        f"{low / 1e6:.0f} MB at {small} providers",
        high / low,
        "<= 1.10x and < 300 MB",
    )
    print(
        f"       ({per_provider / 1e3:+.1f} KB per provider; rotate took {low_wall:.0f} s "
        f"and {high_wall:.0f} s wall)"
    )


def compile_sources() -> None:
    """Byte-compile the service's packages, as pip does when it installs them. Where
    PYTHONDONTWRITEBYTECODE is set (the development machine sets it), every process of
    every run would otherwise compile them again: ~60 ms of rotate's start-up and some
    of the forkserver's, which no installed service pays."""
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("codeservice", "mailer", "scheduler"):
        compileall.compile_dir(root / package, quiet=1)


PARTS: dict[str, Callable[[bool], None]] = {"P1": p1, "P2": p2, "P3": p3, "P4": p4, "P5": p5}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller runs, rougher figures")
    parser.add_argument("--only", default=",".join(PARTS), help="e.g. P1,P5")
    parser.add_argument("--postgres", default=POSTGRES_ADMIN, help="P4's PostgreSQL (admin URL)")
    parser.add_argument("--documents-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    OPTIONS["postgres"] = args.postgres
    if args.documents_child is not None:
        documents_child(args.documents_child)
        return
    compile_sources()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores")
    print(f"  {'':<4} {'measured':<28} {'baseline (same run)':<34} {'ratio':>7}")
    for name in args.only.upper().split(","):
        PARTS[name.strip()](args.quick)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
