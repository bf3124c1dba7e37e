"""P4: the helpline API under load, against ``/healthz`` served by the same app.

Three figures on one database (SQLite, or a throwaway PostgreSQL one), one server:

* closed loop: ``clients`` clients each sending a challenge and its answer, then the
  next pair, against as many ``GET /healthz`` (``helpline.measure``);
* steady: pairs started at a fixed rate (``rate`` requests a second, two a pair)
  whatever the answers' speed, and the p99 of each request's time;
* overload: pairs started at twice the closed loop's peak rate; what gets through
  against that peak, and how fast the excess is refused (503 with ``Retry-After``).
  An answer refused is sent again after its ``Retry-After``, as a client should, so no
  challenge is left open. The clients' connections are not limited, so a request's
  time is the server's (and the shared cores'), not a wait for a client connection.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from helpline import database, measure, prepare, server

STEADY_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=None)


@dataclass
class Load:
    backend: str
    request_rate: float  # helpline requests a second, closed loop
    healthz_rate: float
    steady_p99_ms: float
    steady_rate: float
    overload_ratio: float  # pairs completed a second at 2x, against the closed-loop peak
    shed: int
    shed_answers: int
    offered: int
    shed_p99_ms: float
    cpu_ms: float  # the server's CPU per helpline request, closed loop (load-independent)
    healthz_cpu_ms: float


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[98]


class Pairs:
    def __init__(self, token: str, codes: dict[str, str]) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}
        self.codes = codes
        self.refs = sorted(codes)
        self.times_ms: list[float] = []
        self.shed_ms: list[float] = []
        self.shed_answers = 0  # answers refused (then sent again): each delays its pair
        self.done = 0

    async def one(self, client: httpx.AsyncClient, number: int) -> None:
        """A challenge and its answer; a refused challenge ends the pair."""
        ref = self.refs[number % len(self.refs)]
        started = time.perf_counter()
        made = await client.post(
            "/api/v1/challenges", json={"provider_ref": ref}, headers=self.headers
        )
        asked = time.perf_counter()
        if made.status_code == 503:
            assert made.headers["Retry-After"], made.headers
            self.shed_ms.append(1000 * (asked - started))
            return
        assert made.status_code == 201, made.text
        self.times_ms.append(1000 * (asked - started))
        body = made.json()
        characters = "".join(self.codes[ref][p - 1] for p in body["positions"])
        while True:
            sent = time.perf_counter()
            checked = await client.post(
                f"/api/v1/challenges/{body['id']}/answer",
                json={"characters": characters},
                headers=self.headers,
            )
            now = time.perf_counter()
            if checked.status_code != 503:
                break
            self.shed_ms.append(1000 * (now - sent))
            self.shed_answers += 1
            await asyncio.sleep(float(checked.headers["Retry-After"]))
        assert checked.json() == {"result": "pass"}, checked.text
        self.times_ms.append(1000 * (now - sent))
        self.done += 1


async def open_loop(base: str, pairs: Pairs, pair_rate: float, count: int) -> float:
    """``count`` pairs started ``pair_rate`` a second; the wall time until all ended."""
    async with httpx.AsyncClient(base_url=base, limits=STEADY_LIMITS, timeout=60) as client:
        loop = asyncio.get_running_loop()
        started = loop.time()
        tasks = []
        for number in range(count):
            await asyncio.sleep(max(0.0, started + number / pair_rate - loop.time()))
            tasks.append(asyncio.create_task(pairs.one(client, number)))
        await asyncio.gather(*tasks)
        return loop.time() - started


async def run_all(
    base: str, token: str, codes: dict[str, str], quick: bool, rate: float
) -> tuple[float, float, Pairs, float, Pairs, float, float, float]:
    closed = await measure(base, token, codes, 400 if quick else 2000, clients=8)
    pair_timings, healthz = closed[2], closed[3]
    request_rate = 2 * len(pair_timings.seconds) / pair_timings.elapsed
    healthz_rate = len(healthz.seconds) / healthz.elapsed
    cpu_ms = 1000 * pair_timings.server_cpu / (2 * len(pair_timings.seconds))
    healthz_cpu_ms = 1000 * healthz.server_cpu / len(healthz.seconds)
    seconds = 10 if quick else 30
    steady = Pairs(token, codes)
    steady_elapsed = await open_loop(base, steady, rate / 2, int(seconds * rate / 2))
    peak_pairs = request_rate / 2
    overload = Pairs(token, codes)
    count = int(2 * peak_pairs * (5 if quick else 15))
    overload_elapsed = await open_loop(base, overload, 2 * peak_pairs, count)
    return (
        request_rate,
        healthz_rate,
        steady,
        steady_elapsed,
        overload,
        overload_elapsed,
        cpu_ms,
        healthz_cpu_ms,
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
                overload,
                overload_elapsed,
                cpu_ms,
                healthz_cpu_ms,
            ) = asyncio.run(run_all(base, token, codes, quick, rate))
    return Load(
        backend="PostgreSQL" if admin_url else "SQLite",
        request_rate=request_rate,
        healthz_rate=healthz_rate,
        steady_p99_ms=p99(steady.times_ms),
        steady_rate=len(steady.times_ms) / steady_elapsed,
        overload_ratio=(overload.done / overload_elapsed) / (request_rate / 2),
        shed=len(overload.shed_ms),
        shed_answers=overload.shed_answers,
        offered=len(overload.times_ms) + len(overload.shed_ms),
        shed_p99_ms=p99(overload.shed_ms),
        cpu_ms=cpu_ms,
        healthz_cpu_ms=healthz_cpu_ms,
    )
