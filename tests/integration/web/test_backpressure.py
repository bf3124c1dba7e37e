"""Backpressure against a live uvicorn server: real concurrent requests fill the gate.

A slow route holds its places until the test lets it go: the requests over the bound
get a 503 with ``Retry-After`` at once and never reach a route; the health, readiness
and metrics endpoints still answer; the held requests finish, each exactly once.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.web import create_app
from tests.integration.web.helpline_world import DURING_APRIL, audit_details, make_world
from tests.integration.web.staff import make_token
from tests.support.clock import Clock
from tests.support.live_server import serving

PLACES = 2
SHED = "codeservice_http_requests_shed_total"


def shed_count(client: httpx.Client) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(SHED + " "):
            return float(line.split()[1])
    raise AssertionError(f"{SHED} is not in /metrics")


class SlowRoutes:
    """Routes that note their arrival, then wait until the test releases them."""

    def __init__(self) -> None:
        self.arrived: list[str] = []
        self.full = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def install(self, app: FastAPI) -> None:
        def hold(name: str) -> dict[str, str]:
            with self._lock:
                self.arrived.append(name)
                if len(self.arrived) >= PLACES:
                    self.full.set()
            self.release.wait()
            return {"name": name}

        app.add_api_route("/api/test-slow/{name}", hold, methods=["POST"])
        app.add_api_route("/test-slow/{name}", hold, methods=["GET"])


@pytest.fixture
def slow() -> SlowRoutes:
    return SlowRoutes()


@pytest.fixture
def live(container: Container, slow: SlowRoutes) -> Iterator[str]:
    settings = dataclasses.replace(
        container.settings, web_max_in_flight=PLACES, web_queue_wait_ms=0
    )
    built = Container(settings)
    app = create_app(built)
    slow.install(app)
    with serving(app) as url:
        yield url
        slow.release.set()
    built.close()


def test_excess_requests_get_a_fast_503_and_nothing_is_lost_or_doubled(
    live: str, slow: SlowRoutes
) -> None:
    with ThreadPoolExecutor(max_workers=PLACES) as pool, httpx.Client(base_url=live) as client:
        held: list[Future[httpx.Response]] = [
            pool.submit(httpx.post, f"{live}/api/test-slow/first", timeout=60),
            pool.submit(httpx.get, f"{live}/test-slow/second", timeout=60),
        ]
        assert slow.full.wait(timeout=60), "the held requests never reached the route"
        shed_before = shed_count(client)

        refused = client.post("/api/test-slow/third")
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "1"
        assert refused.headers["Cache-Control"] == "no-store"
        assert refused.json()["error"]["code"] == "overloaded"
        page = client.get("/test-slow/fourth")
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "1"
        assert page.headers["Content-Type"].startswith("text/html")
        assert "Sorry, the service is busy" in page.text
        assert "X-Content-Type-Options" in page.headers  # the security headers still wrap it
        again = client.get("/test-slow/fourth-again")  # the page rendered once, then kept
        assert (again.status_code, again.headers["Retry-After"]) == (503, "1")
        assert again.text == page.text and "set-cookie" not in again.headers

        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert shed_count(client) == shed_before + 3
        assert client.get("/assets/images/favicon.ico").status_code != 503

        slow.release.set()
        answers = [future.result() for future in held]

        assert [a.status_code for a in answers] == [200, 200]
        assert sorted(a.json()["name"] for a in answers) == ["first", "second"]
        again = client.post("/api/test-slow/fifth")  # the places were given back
        assert again.status_code == 200
    assert sorted(slow.arrived) == ["fifth", "first", "second"]  # the refused never ran


def _post_whole(url: str, path: str, body: bytes, token: str) -> Callable[[], tuple[int, bytes]]:
    """A POST sent in one write, so that the server finds it whole and never waits for
    its body (as from a real client); returns a call that sends it and reads the answer."""
    parts = urlsplit(url)
    connection = socket.create_connection((parts.hostname, parts.port), timeout=60)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body

    def send() -> tuple[int, bytes]:
        with connection:
            connection.sendall(request)
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        head, _, rest = answer.partition(b"\r\n\r\n")
        return int(head.split()[1]), rest

    return send


def test_a_burst_of_challenges_meets_the_gate_though_their_work_never_yields(
    container: Container,
) -> None:
    """On SQLite a challenge's transaction runs on the event loop itself, which it does
    not let go of until it is done. A burst must still meet the gate as a whole: the
    excess refused at once, and each challenge accepted made exactly once."""
    clock = Clock(DURING_APRIL)
    settings = dataclasses.replace(
        container.settings, web_max_in_flight=PLACES, web_queue_wait_ms=0
    )
    web = Container(settings, clock=clock)
    make_world(web)
    token = make_token(web, "crm", Role.AGENT)
    burst = 24
    together = threading.Barrier(burst)
    try:
        with serving(create_app(web)) as url:
            sends = [
                _post_whole(url, "/api/v1/challenges", b'{"provider_ref": "PRV001"}', token)
                for _ in range(burst)
            ]

            def send(one: Callable[[], tuple[int, bytes]]) -> tuple[int, bytes]:
                together.wait(timeout=60)
                return one()

            with ThreadPoolExecutor(max_workers=burst) as pool:
                answers = list(pool.map(send, sends))
    finally:
        web.close()

    statuses = sorted({status for status, _ in answers})
    assert statuses == [201, 503], statuses
    made = [json.loads(body)["id"] for status, body in answers if status == 201]
    created = audit_details(web, "helpline:challenge:create")
    assert sorted(str(details["challenge"]) for details in created) == sorted(made)
