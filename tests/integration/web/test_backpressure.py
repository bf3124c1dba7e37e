"""Backpressure against a live uvicorn server: real concurrent requests fill the gate.

A slow route holds its places until the test lets it go: the requests over the bound
get a 503 with ``Retry-After`` at once and never reach a route; the health, readiness
and metrics endpoints still answer; the held requests finish, each exactly once.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI

from codeservice.bootstrap import Container
from codeservice.web import create_app
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
