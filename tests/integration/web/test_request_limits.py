"""Request bodies are bounded: too large a body, or too long a field, is a 413."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.integration.web.helpline_world import HelplineWorld
from tests.integration.web.links import csrf_field, snapshot
from tests.integration.web.staff import make_token, signed_in_client
from tests.integration.web.test_incident_form import VALID, report_path

LIMIT = 256 * 1024


def _run_asgi(app: FastAPI, path: str, chunks: int, chunk: bytes) -> tuple[int, int]:
    """Send ``chunks`` pieces of body without a Content-Length; (status, pieces read)."""
    read = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }

    async def run() -> None:
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)  # type: ignore[arg-type]

    asyncio.run(run())
    return status, read


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    app: FastAPI, client: TestClient
) -> None:
    response = client.post(
        "/report/" + "A" * 43,
        content=b"x" * (LIMIT + 1),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "The information you sent was too long" in response.text
    assert "256 KiB" in response.text


def test_a_streamed_body_is_stopped_once_it_passes_the_limit(app: FastAPI) -> None:
    status, read = _run_asgi(app, "/report/" + "A" * 43, chunks=100, chunk=b"x" * 16384)
    assert status == 413
    assert read <= LIMIT // 16384 + 1  # it stopped reading at the limit, not after 1.6 MB


def test_an_api_body_over_the_limit_is_a_json_413(
    client: TestClient, web_container: Container, world: HelplineWorld
) -> None:
    agent = {"Authorization": "Bearer " + make_token(web_container, "crm", Role.AGENT)}
    response = client.post(
        "/api/v1/challenges", json={"provider_ref": "P" * (LIMIT + 10)}, headers=agent
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_a_form_field_over_its_limit_gets_a_page_naming_it(
    client: TestClient, web_container: Container
) -> None:
    path, _ = report_path(web_container)
    page = client.get(path)
    before = snapshot(web_container)
    data = {**VALID, "details": "x" * 10_001, "csrf_token": csrf_field(page.text)}

    response = client.post(path, data=data, follow_redirects=False)

    assert response.status_code == 413
    assert "The information you sent was too long" in response.text
    assert "Description" in response.text and "10,000" in response.text
    assert snapshot(web_container) == before


def test_a_field_at_its_limit_is_not_refused_for_length(
    client: TestClient, web_container: Container
) -> None:
    path, _ = report_path(web_container)
    page = client.get(path)
    data = {**VALID, "details": "x" * 10_000, "csrf_token": csrf_field(page.text)}
    response = client.post(path, data=data, follow_redirects=False)
    assert response.status_code != 413


def test_a_path_holding_a_control_character_is_not_found_on_either_database(
    client: TestClient, web_container: Container
) -> None:
    """A NUL read from the path as a ref or a token would reach PostgreSQL and fail."""
    signed_in_client(client, web_container, Role.SECURITY)
    token = make_token(web_container, "feed", Role.BMT)
    for path in (
        "/security/helpline/locks/PRV%00001/unlock",
        "/ack/abc%00def",
        "/report/abc%0adef",
        "/bmt/cycles/2027-04%00",
    ):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "Page not found" in page.text and "Traceback" not in page.text
    answer = client.get("/api/v1/cycles/2027-04%00", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422  # as the API answers any path parameter it cannot read
    assert answer.json()["error"]["code"] == "invalid_request"
