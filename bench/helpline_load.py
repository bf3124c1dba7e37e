"""P4: the helpline API under load, against ``/healthz`` served by the same app.

Three figures on one database (SQLite, or a throwaway PostgreSQL one), one server:

* closed loop: ``clients`` clients each sending a challenge and its answer, then the
  next pair, against as many ``GET /healthz`` (``helpline.measure``);
* steady: pairs started at a fixed rate (``rate`` requests a second, two a pair)
  whatever the answers' speed, and the p99 of each request's time;
* overload: pairs started at twice the peak rate; what gets through against the
  peak (the mean of one taken just before and one just after), and how fast the
  excess is refused (503 with ``Retry-After``). An answer refused is sent again after
  its ``Retry-After``, as a client should, so no challenge is left open. The clients'
  connections are not limited, so a request's time is the server's (and the shared
  cores'), not a wait for a client connection.

The overload and its peaks are both driven by ``lean_http`` (a peak: 8 closed-loop
clients again), the two others by httpx. The load generator runs on the
same two cores as the server: with httpx it spent 2.4 ms of CPU per pair in a closed
loop and 12 ms per pair at twice the peak (its pool of hundreds of connections), fell
seconds behind its own schedule, and P4's overload figure measured the generator. The
generator's CPU per pair and how far it fell behind are reported with the figure.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from helpline import database, measure, prepare, server
from lean_http import LeanClient

# httpx keeps an idle connection 5 s by default, as long as uvicorn does: one reused just
# as the server closes it fails with ReadError. Idle ones are let go well before.
STEADY_LIMITS = httpx.Limits(
    max_connections=None, max_keepalive_connections=None, keepalive_expiry=2.0
)
CLIENTS = 8

# A POST of a JSON body; its answer has ``status_code``, ``headers`` (any case) and ``json()``.
Post = Callable[[str, dict[str, Any]], Awaitable[Any]]


@dataclass
class Load:
    backend: str
    request_rate: float  # helpline requests a second, closed loop
    healthz_rate: float
    steady_p99_ms: float
    steady_rate: float
    overload_peaks: tuple[float, float]  # pairs a second, closed loop, before and after
    overload_ratio: float  # pairs completed a second at 2x, against that peak
    shed: int
    shed_answers: int
    offered: int
    shed_p50_ms: float
    shed_p99_ms: float
    generator_cpu_ms: float  # the load generator's CPU per pair completed at 2x
    generator_lag_ms: float  # how far it fell behind its schedule of pairs at worst
    cpu_ms: float  # the server's CPU per helpline request, closed loop (load-independent)
    healthz_cpu_ms: float
    clients_ms: float  # the closed loop's clients' CPU per helpline request
    database_ms: float  # PostgreSQL's backends' CPU per helpline request (0 on SQLite)
    healthz_clients_ms: float  # the clients' CPU per GET /healthz
    lean_floor: float  # GET /healthz a second with the lean client (the server's floor)


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[98]


class Pairs:
    def __init__(self, codes: dict[str, str]) -> None:
        self.codes = codes
        self.refs = sorted(codes)
        self.times_ms: list[float] = []
        self.shed_ms: list[float] = []
        self.shed_answers = 0  # answers refused (then sent again): each delays its pair
        self.done = 0

    async def one(self, post: Post, number: int) -> None:
        """A challenge and its answer; a refused challenge ends the pair."""
        ref = self.refs[number % len(self.refs)]
        started = time.perf_counter()
        made = await post("/api/v1/challenges", {"provider_ref": ref})
        asked = time.perf_counter()
        if made.status_code == 503:
            assert made.headers["retry-after"], made.headers
            self.shed_ms.append(1000 * (asked - started))
            return
        assert made.status_code == 201, made.json()
        self.times_ms.append(1000 * (asked - started))
        body = made.json()
        characters = "".join(self.codes[ref][p - 1] for p in body["positions"])
        while True:
            sent = time.perf_counter()
            checked = await post(
                f"/api/v1/challenges/{body['id']}/answer", {"characters": characters}
            )
            now = time.perf_counter()
            if checked.status_code != 503:
                break
            self.shed_ms.append(1000 * (now - sent))
            self.shed_answers += 1
            await asyncio.sleep(float(checked.headers["retry-after"]))
        assert checked.json() == {"result": "pass"}, checked.json()
        self.times_ms.append(1000 * (now - sent))
        self.done += 1


async def open_loop(post: Post, pairs: Pairs, pair_rate: float, count: int) -> tuple[float, float]:
    """``count`` pairs started ``pair_rate`` a second: (the wall time until all ended,
    the most a pair started behind its time)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    lag = 0.0
    tasks = []
    for number in range(count):
        due = started + number / pair_rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        lag = max(lag, loop.time() - due)
        tasks.append(asyncio.create_task(pairs.one(post, number)))
    await asyncio.gather(*tasks)
    return loop.time() - started, lag


async def closed_loop(post: Post, pairs: Pairs, total: int) -> float:
    """``total`` pairs, ``CLIENTS`` at a time, each after the last: the wall time."""
    numbers = iter(range(total))

    async def client() -> None:
        for number in numbers:
            await pairs.one(post, number)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return time.perf_counter() - started


@dataclass
class Overload:
    peaks: tuple[float, float]  # pairs a second, closed loop, before and after
    pairs: Pairs
    elapsed: float
    lag: float
    generator_cpu: float  # seconds
    floor: float  # GET /healthz a second, closed loop, with the lean client


async def lean_floor(client: LeanClient, total: int) -> float:
    """``total`` GET /healthz, ``CLIENTS`` at a time with the lean client: a second.
    With httpx the floor is the clients' own (about 1.3 ms of their CPU a request, one
    process busy a whole core); with this one it is the server's."""
    numbers = iter(range(total))
    request = f"GET /healthz HTTP/1.1\r\n{client.fixed}\r\n".encode()

    async def one_client() -> None:
        for _number in numbers:
            answer = await client.send(request)
            assert answer.status_code == 200, answer.status_code

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return total / (time.perf_counter() - started)


async def overload(base: str, token: str, codes: dict[str, str], quick: bool) -> Overload:
    """The closed loop's peak with the lean client, then twice that rate, open loop,
    then the peak again: the machine's other load drifts, and the mean of the two
    peaks bracketing the overload is the fairer peak to set it against."""
    client = LeanClient.to(base, {"Authorization": f"Bearer {token}"})
    total = 400 if quick else 2000

    async def peak() -> float:
        closed = Pairs(codes)
        elapsed = await closed_loop(client.post, closed, total)
        return closed.done / elapsed

    try:
        await closed_loop(client.post, Pairs(codes), 50)  # its connections, warm
        before = await peak()
        floor = await lean_floor(client, 2 * total)
        pairs = Pairs(codes)
        cpu = time.process_time()
        count = int(2 * before * (5 if quick else 15))
        elapsed, lag = await open_loop(client.post, pairs, 2 * before, count)
        generator_cpu = time.process_time() - cpu
        after = await peak()
        return Overload((before, after), pairs, elapsed, lag, generator_cpu, floor)
    finally:
        await client.close()


async def run_all(
    base: str, token: str, codes: dict[str, str], quick: bool, rate: float
) -> tuple[float, float, Pairs, float, Overload, dict[str, float]]:
    closed = await measure(base, token, codes, 400 if quick else 2000, clients=CLIENTS)
    pair_timings, healthz = closed[2], closed[3]
    request_rate = 2 * len(pair_timings.seconds) / pair_timings.elapsed
    healthz_rate = len(healthz.seconds) / healthz.elapsed
    requests, floor = 2 * len(pair_timings.seconds), len(healthz.seconds)
    per_request = {
        "cpu_ms": 1000 * pair_timings.cpu.server / requests,
        "healthz_cpu_ms": 1000 * healthz.cpu.server / floor,
        "clients_ms": 1000 * pair_timings.cpu.clients / requests,
        "database_ms": 1000 * pair_timings.cpu.database / requests,
        "healthz_clients_ms": 1000 * healthz.cpu.clients / floor,
    }
    seconds = 10 if quick else 30
    steady = Pairs(codes)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, limits=STEADY_LIMITS, timeout=60) as client:

        async def post(path: str, body: dict[str, Any]) -> httpx.Response:
            return await client.post(path, json=body, headers=headers)

        steady_elapsed, _lag = await open_loop(post, steady, rate / 2, int(seconds * rate / 2))
    over = await overload(base, token, codes, quick)
    return (
        request_rate,
        healthz_rate,
        steady,
        steady_elapsed,
        over,
        per_request,
    )


def p4_load(admin_url: str | None, quick: bool, rate: float = 50.0, **settings: str) -> Load:
    """P4 on one database; ``settings`` are the server's (``web_max_in_flight="4"``)."""
    with (
        tempfile.TemporaryDirectory(prefix="codeservice-bench-") as home,
        database(admin_url, Path(home)) as url,
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
        env.update({f"CODESERVICE_{name.upper()}": value for name, value in settings.items()})
        token, codes = prepare(env, 40)
        with server(env) as base:
            (
                request_rate,
                healthz_rate,
                steady,
                steady_elapsed,
                over,
                per_request,
            ) = asyncio.run(run_all(base, token, codes, quick, rate))
    return Load(
        backend="PostgreSQL" if admin_url else "SQLite",
        request_rate=request_rate,
        healthz_rate=healthz_rate,
        steady_p99_ms=p99(steady.times_ms),
        steady_rate=len(steady.times_ms) / steady_elapsed,
        overload_peaks=over.peaks,
        overload_ratio=(over.pairs.done / over.elapsed) / statistics.mean(over.peaks),
        shed=len(over.pairs.shed_ms),
        shed_answers=over.pairs.shed_answers,
        offered=len(over.pairs.times_ms) + len(over.pairs.shed_ms),
        shed_p50_ms=statistics.median(over.pairs.shed_ms) if over.pairs.shed_ms else 0.0,
        shed_p99_ms=p99(over.pairs.shed_ms),
        generator_cpu_ms=1000 * over.generator_cpu / max(over.pairs.done, 1),
        generator_lag_ms=1000 * over.lag,
        **per_request,
        lean_floor=over.floor,
    )
