"""Every error under ``/api/`` is ``{"error": {"code", "message"}}`` JSON, whatever went wrong."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.web import create_app
from tests.integration.web.helpline_world import HelplineWorld
from tests.integration.web.staff import make_token

CHALLENGES = "/api/v1/challenges"


def assert_api_error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    assert message and "Traceback" not in message and "<" not in message
    return message


@pytest.fixture
def agent(web_container: Container, world: HelplineWorld) -> dict[str, str]:
    return {"Authorization": "Bearer " + make_token(web_container, "crm", Role.AGENT)}


@pytest.fixture
def bmt(web_container: Container) -> dict[str, str]:
    return {"Authorization": "Bearer " + make_token(web_container, "feed", Role.BMT)}


def test_unknown_paths_and_wrong_methods_are_json(client: TestClient, bmt: dict[str, str]) -> None:
    assert_api_error(client.get("/api/v1/no-such-thing", headers=bmt), 404, "not_found")
    assert_api_error(client.get("/api/nothing"), 404, "not_found")
    refused = client.delete("/api/v1/dashboard", headers=bmt)
    assert_api_error(refused, 405, "method_not_allowed")
    assert "GET" in refused.headers["allow"]
    assert_api_error(client.get(CHALLENGES, headers=bmt), 405, "method_not_allowed")


def test_malformed_bodies_are_json_errors(client: TestClient, agent: dict[str, str]) -> None:
    as_json = {**agent, "content-type": "application/json"}
    not_utf8 = client.post(CHALLENGES, content=b'{"provider_ref": "\xff\xfe"}', headers=as_json)
    assert_api_error(not_utf8, 400, "invalid_request")
    truncated = client.post(CHALLENGES, content=b'{"provider_ref": ', headers=as_json)
    assert "not valid JSON" in assert_api_error(truncated, 400, "invalid_request")
    empty = client.post(CHALLENGES, content=b"", headers=as_json)
    assert_api_error(empty, 400, "invalid_request")


def test_a_body_that_is_not_json_is_415(client: TestClient, agent: dict[str, str]) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        headers = {**agent, "content-type": content_type}
        response = client.post(CHALLENGES, content=b'{"provider_ref": "PRV001"}', headers=headers)
        assert_api_error(response, 415, "unsupported_media_type")
    form = client.post(CHALLENGES, data={"provider_ref": "PRV001"}, headers=agent)
    assert_api_error(form, 415, "unsupported_media_type")
    charset = {**agent, "content-type": "application/json; charset=utf-8"}
    started = client.post(CHALLENGES, content=b'{"provider_ref": "PRV001"}', headers=charset)
    assert started.status_code == 201, started.text


def test_validation_errors_name_the_field_never_the_value(
    client: TestClient, agent: dict[str, str], bmt: dict[str, str]
) -> None:
    long_ref = client.post(CHALLENGES, json={"provider_ref": "Zq" * 60}, headers=agent)
    message = assert_api_error(long_ref, 400, "invalid_request")
    assert "provider_ref" in message and "ZqZq" not in message
    bad_cycle = client.get("/api/v1/cycles/2027-13", headers=bmt)
    assert_api_error(bad_cycle, 422, "invalid-cycle")


def test_rate_limits_and_server_errors_are_json(web_container: Container) -> None:
    app: FastAPI = create_app(web_container)

    def slow_down() -> None:
        raise HTTPException(429, headers={"Retry-After": "60"})

    def broken() -> None:
        raise RuntimeError("the database at /var/secret.db is on fire")

    app.add_api_route("/api/test/slow-down", slow_down)
    app.add_api_route("/api/test/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        limited = client.get("/api/test/slow-down")
        assert_api_error(limited, 429, "too_many_requests")
        assert limited.headers["retry-after"] == "60"
        failed = client.get("/api/test/broken")
        assert "on fire" not in assert_api_error(failed, 500, "server_error")


def test_pages_outside_the_api_stay_html(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    looks_like = client.get("/apiary")
    assert looks_like.headers["content-type"].startswith("text/html")
