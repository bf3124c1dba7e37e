"""Helpline API throughput: challenge + answer pairs over HTTP, with /healthz as the floor.

    .venv/bin/python bench/helpline.py [--pairs 2000] [--clients 8] [--providers 20]
                                       [--postgres ADMIN_URL]

Builds a throwaway service (SQLite in a temporary folder, or with --postgres a
throwaway database made on that server and dropped after), imports a register of N
prime providers, issues each a code in force now and creates an agent API token. Then
it serves ``create_app(container)`` with uvicorn in a subprocess on a free port of
127.0.0.1 and drives it with a few concurrent httpx clients: each pair starts a
challenge (``POST /api/v1/challenges``) and answers it correctly (the codes are
known here, where they were issued), so no provider ever locks. Each quarter of the
pairs is followed by as many ``GET /healthz`` requests (what the server, HTTP and the
clients cost on their own), so both sides of the ratio see the same machine.
Every number is wall time seen by the client on this machine, server and clients
sharing its cores, except the last line: the server process's CPU per request (user +
system, from /proc), which the machine's load moves far less.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from cpu import DATABASES, SERVER_PIDS, Cpu
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

WARM_UP = 50
ROUNDS = 4  # turns of pairs and GET /healthz, taken alternately


@dataclass
class Timings:
    label: str
    seconds: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: Cpu = field(default_factory=Cpu)  # CPU seconds over the run: load-independent

    def row(self) -> str:
        ms = sorted(1000 * s for s in self.seconds)
        p99 = statistics.quantiles(ms, n=100, method="inclusive")[98]
        rate = len(ms) / self.elapsed
        return (
            f"  {self.label:<30} {len(ms):>6} {rate:>9.0f} {statistics.median(ms):>9.1f} "
            f"{p99:>9.1f}"
        )


# --- the service under test -------------------------------------------------------


def prepare(env: dict[str, str], providers: int) -> tuple[str, dict[str, str]]:
    """Register, codes in force now, an agent token: (token, code by provider ref)."""
    from codeservice.bootstrap import bootstrap
    from codeservice.domain.accounts import Role
    from codeservice.domain.codes import Alphabet
    from codeservice.services.distribution.codes import issue_access_code
    from codeservice.services.operations.setup import initialise
    from codeservice.services.register.providers import RegisterRules, import_register
    from codeservice.services.staff.api_tokens import create_token

    container = bootstrap(env)
    initialise(container.installation)
    lines = [
        "ref,name,prime_ref,spoc_name,spoc_email,"
        "security_plan_received,security_plan_approved,security_plan_changed"
    ]
    lines += [  # an approved security plan: without one a provider cannot be helped
        f"B{n:05},Bench Provider {n} Ltd,,Spoc {n},spoc{n}@example.org,2024-01-08,2024-02-05,"
        for n in range(1, providers + 1)
    ]
    now = container.now()
    data = "\n".join(lines).encode()
    rules = RegisterRules.of(container.settings)
    with container.transaction() as uow:
        import_register(uow, container.keyring, rules, data, "bench.csv", actor="bench", now=now)
    dates = container.calendar.dates(container.calendar.cycle_in_force(now))
    alphabet = Alphabet.from_excluded(container.settings.code_excluded_characters)
    codes: dict[str, str] = {}
    with container.uow() as uow:
        for n in range(1, providers + 1):
            provider = uow.register.get_provider(f"B{n:05}")
            assert provider is not None
            codes[provider.ref] = issue_access_code(
                uow,
                container.keyring,
                provider=provider,
                cycle=dates.cycle,
                issue_at=dates.issue_at,
                active_from=dates.active_from,
                active_until=dates.active_until,
                now=now,
                alphabet=alphabet,
            ).code
        uow.commit()
    with container.transaction() as uow:
        token = create_token(
            uow, container.keyring, "bench", role=Role.AGENT, actor="bench", now=now
        ).token
    container.close()
    return token, codes


def serve(fd: int) -> None:
    """In the subprocess: the real app on the listening socket the parent made."""
    import uvicorn

    from codeservice.bootstrap import bootstrap
    from codeservice.web import create_app
    from codeservice.web.app import freeze_start_up

    app = create_app(bootstrap(os.environ))
    if not os.environ.get("BENCH_NO_FREEZE"):
        freeze_start_up()  # as ``codeservice serve`` does
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    if os.environ.get("BENCH_SWITCH_INTERVAL"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
    if os.environ.get("BENCH_SAMPLE"):
        Sampler(Path(os.environ["BENCH_SAMPLE"]))
    # Not uvicorn's own fd= option: it takes the socket for a Unix one, and asyncio then
    # leaves Nagle's algorithm on, adding 40 ms to every reused connection.
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])


class Sampler:
    """A sampling profile of every thread of the server (``BENCH_SAMPLE=file``): every
    2 ms, each function on a running stack counts once; the busiest go to ``file``,
    written again every second."""

    def __init__(self, path: Path) -> None:
        self.path = path
        import threading
        from collections import Counter

        self.inclusive: Counter[str] = Counter()
        self.leaf: Counter[str] = Counter()
        self.samples = 0
        self.me = threading.get_ident()
        threading.Thread(target=self.run, daemon=True).start()

    def run(self) -> None:
        last = time.monotonic()
        while True:
            time.sleep(0.002)
            if time.monotonic() - last > 1 and self.samples:
                self.report(self.path)
                last = time.monotonic()
            for ident, frame in sys._current_frames().items():  # noqa: SLF001
                if ident == self.me or frame.f_code.co_name in ("wait", "select", "_worker"):
                    continue
                self.samples += 1
                seen = set()
                leaf = True
                at: FrameType | None = frame
                while at is not None:
                    code = at.f_code
                    name = f"{code.co_filename.split('site-packages/')[-1]}:{code.co_name}"
                    if leaf:
                        self.leaf[name] += 1
                        leaf = False
                    if name not in seen:
                        self.inclusive[name] += 1
                        seen.add(name)
                    at = at.f_back

    def report(self, path: Path) -> None:
        lines = [f"{self.samples} samples", "inclusive:"]
        lines += [f"{n / self.samples:6.1%} {k}" for k, n in self.inclusive.most_common(80)]
        lines += ["leaf:"]
        lines += [f"{n / self.samples:6.1%} {k}" for k, n in self.leaf.most_common(40)]
        path.write_text("\n".join(lines) + "\n")


@contextmanager
def server(env: dict[str, str]) -> Any:
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    listening.listen(128)
    port = listening.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603 - this very script, as the server
        [sys.executable, __file__, "--serve-fd", str(listening.fileno())],
        env=env,
        pass_fds=[listening.fileno()],
    )
    listening.close()
    base = f"http://127.0.0.1:{port}"
    SERVER_PIDS.append(process.pid)
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise SystemExit("the server did not start")
        yield base
    finally:
        SERVER_PIDS.remove(process.pid)
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def database(admin_url: str | None, home: Path) -> Any:
    if not admin_url:
        yield f"sqlite:///{home / 'codeservice.db'}"
        return
    name = f"codeservice_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        DATABASES.append((admin_url, name))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        DATABASES.clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the clients --------------------------------------------------------------------


async def drive(
    clients: int, total: int, one: Callable[[httpx.AsyncClient, int], Awaitable[None]], base: str
) -> float:
    """``total`` calls of ``one``, shared by ``clients`` workers; the wall time taken."""
    counter = iter(range(total))
    limits = httpx.Limits(  # idle ones let go before uvicorn's 5 s closes them under us
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            for number in counter:
                await one(client, number)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return time.perf_counter() - started


async def measure(
    base: str, token: str, codes: dict[str, str], pairs: int, clients: int
) -> list[Timings]:
    headers = {"Authorization": f"Bearer {token}"}
    refs = sorted(codes)
    challenge, answer, pair = (
        Timings("POST /api/v1/challenges"),
        Timings("POST .../answer"),
        (Timings("challenge + answer (pair)")),
    )
    healthz = Timings("GET /healthz (floor)")

    async def one_pair(client: httpx.AsyncClient, number: int, record: bool = True) -> None:
        ref = refs[number % len(refs)]
        started = time.perf_counter()
        made = await client.post("/api/v1/challenges", json={"provider_ref": ref}, headers=headers)
        asked = time.perf_counter()
        assert made.status_code == 201, made.text
        body = made.json()
        characters = "".join(codes[ref][p - 1] for p in body["positions"])
        checked = await client.post(
            f"/api/v1/challenges/{body['id']}/answer",
            json={"characters": characters},
            headers=headers,
        )
        done = time.perf_counter()
        assert checked.json() == {"result": "pass"}, checked.text
        if record:
            challenge.seconds.append(asked - started)
            answer.seconds.append(done - asked)
            pair.seconds.append(done - started)

    async def one_healthz(client: httpx.AsyncClient, number: int) -> None:
        started = time.perf_counter()
        response = await client.get("/healthz")
        healthz.seconds.append(time.perf_counter() - started)
        assert response.status_code == 200

    await drive(clients, WARM_UP, lambda c, n: one_pair(c, n, record=False), base)
    # In turns (pairs, then as many GET /healthz, ROUNDS times over), so that the two
    # sides of the ratio see the same machine: its load drifts over a run of seconds.
    done = 0
    for turn in range(ROUNDS):
        share = pairs * (turn + 1) // ROUNDS - done

        async def next_pair(client: httpx.AsyncClient, number: int, at: int = done) -> None:
            await one_pair(client, at + number)

        cpu = Cpu.now()
        pair.elapsed += await drive(clients, share, next_pair, base)
        after = Cpu.now()
        pair.cpu, cpu = pair.cpu + (after - cpu), after
        healthz.elapsed += await drive(clients, share, one_healthz, base)
        healthz.cpu += Cpu.now() - cpu
        done += share
    challenge.elapsed = answer.elapsed = pair.elapsed
    return [challenge, answer, pair, healthz]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=2000, help="challenge + answer pairs")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--providers", type=int, default=20)
    parser.add_argument("--postgres", default="", help="admin URL: bench on a throwaway DB")
    parser.add_argument("--serve-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fd is not None:
        serve(args.serve_fd)
        return

    with (
        tempfile.TemporaryDirectory(prefix="codeservice-bench-") as home,
        database(args.postgres or None, Path(home)) as url,
    ):
        env = {
            key: value for key, value in os.environ.items() if not key.startswith("CODESERVICE_")
        }
        env.update(
            CODESERVICE_HOME=home,
            CODESERVICE_DATABASE_URL=url,
            CODESERVICE_LOG_LEVEL="WARNING",
            CODESERVICE_BASE_URL="http://127.0.0.1",
        )
        token, codes = prepare(env, args.providers)
        with server(env) as base:
            rows = asyncio.run(measure(base, token, codes, args.pairs, args.clients))

    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{args.pairs} pairs and {args.pairs} GET /healthz, {args.clients} concurrent clients, "
        f"{args.providers} providers, {backend}, one uvicorn process, {os.cpu_count()} cores"
    )
    print(f"  {'':<30} {'requests':>6} {'per s':>9} {'p50 ms':>9} {'p99 ms':>9}")
    for row in rows:
        print(row.row())
    print("  (pairs per second = the pair row's rate; each pair is two requests)")
    pair, healthz = rows[2], rows[3]
    print(
        f"  server CPU per request: {1000 * pair.cpu.server / (2 * args.pairs):.2f} ms helpline, "
        f"{1000 * healthz.cpu.server / args.pairs:.2f} ms GET /healthz; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    for label, row, requests in (
        ("helpline", pair, 2 * args.pairs),
        ("/healthz", healthz, args.pairs),
    ):
        whole = row.cpu.server + row.cpu.clients + row.cpu.database
        print(
            f"  the machine's CPU per {label} request: {1000 * whole / requests:.2f} ms "
            f"(server {1000 * row.cpu.server / requests:.2f}, clients "
            f"{1000 * row.cpu.clients / requests:.2f}, database "
            f"{1000 * row.cpu.database / requests:.2f}), "
            f"{whole / row.elapsed:.2f} of {os.cpu_count()} cores busy"
        )


if __name__ == "__main__":
    main()
