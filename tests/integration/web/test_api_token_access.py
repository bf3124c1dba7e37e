"""Machines on the API: bearer tokens by role; tokens open no page, and a session reads
the API but never changes it."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal, Role
from codeservice.web.auth import require_api_role
from tests.integration.web.staff import (
    make_staff,
    make_token,
    sign_in,
)
from tests.support.staff import revoke_token


def test_machines_use_bearer_tokens_on_the_api(
    web_container: Container, client: TestClient
) -> None:
    token = make_token(web_container, "crm", Role.AGENT)

    me = client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    missing = client.get("/api/whoami")
    wrong_scheme = client.get("/api/whoami", headers={"Authorization": f"Basic {token}"})
    revoke_token(web_container, "crm", actor="cli:root")
    revoked = client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})

    assert me.json() == {"kind": "token", "name": "crm", "role": "agent"}
    assert me.headers["cache-control"] == "no-store"
    for refused in (missing, wrong_scheme, revoked):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json() == {
            "error": {"code": "unauthenticated", "message": "a valid API token is required"}
        }


def test_tokens_do_not_open_pages(web_container: Container, client: TestClient) -> None:
    token = make_token(web_container, "crm", Role.ADMIN)

    page = client.get(
        "/admin/accounts", headers={"Authorization": f"Bearer {token}"}, follow_redirects=False
    )

    assert page.status_code == 302


def test_an_api_route_refuses_the_wrong_role_with_json(
    web_container: Container, app: FastAPI, client: TestClient
) -> None:
    @app.get("/api/test-security-only")
    def security_only(
        principal: Principal = Depends(require_api_role(Role.SECURITY)),  # noqa: B008
    ) -> dict[str, str]:
        return {"name": principal.name}

    agent = make_token(web_container, "crm", Role.AGENT)
    security = make_token(web_container, "siem", Role.SECURITY)
    headers = {"Authorization": f"Bearer {agent}"}

    refused = client.get("/api/test-security-only", headers=headers)
    allowed = client.get("/api/test-security-only", headers={"Authorization": f"Bearer {security}"})

    assert refused.status_code == 403
    assert refused.json() == {
        "error": {"code": "forbidden", "message": "the agent role may not use this"}
    }
    assert allowed.json() == {"name": "siem"}


def test_a_session_reads_the_api_but_never_changes_it(
    web_container: Container, app: FastAPI, client: TestClient
) -> None:
    @app.post("/api/test-change")
    def change(principal: Principal = Depends(require_api_role(*Role))) -> dict[str, str]:  # noqa: B008
        return {"changed_by": principal.actor}

    make_staff(web_container, "ann", Role.BMT)
    sign_in(client, "ann")

    assert client.get("/api/whoami").json() == {"kind": "user", "name": "ann", "role": "bmt"}
    assert client.post("/api/test-change").status_code == 401
