"""``/api/v1``: the dashboard's data as JSON, for the BMT role, described by OpenAPI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.services.distribution.codes import reveal_access_code, reveal_unlock_code
from codeservice.storage.models import AccessCode
from tests.integration.web.links import NOW
from tests.integration.web.staff import make_token, signed_in_client
from tests.support.clock import Clock
from tests.support.dashboard import (
    ISSUE_DAY,
    Mailbox,
    acknowledge_as,
    import_example_register,
    issue,
    work_outbox,
)
from tests.support.reissue import reissue_provider

FAILING = "fiona.macleod@example.org"


@pytest.fixture
def month(web_container: Container, clock: Clock) -> Mailbox:
    delivered = Mailbox()
    clock.now = ISSUE_DAY
    import_example_register(web_container)
    issue(web_container)
    work_outbox(web_container, delivered, failing=[FAILING])
    clock.now = ISSUE_DAY + timedelta(hours=4)
    acknowledge_as(web_container, delivered, "priya.raman@example.org")
    work_outbox(web_container, delivered)
    clock.now = NOW
    return delivered


@pytest.fixture
def bmt_token(web_container: Container) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(web_container, 'dashboard-feed', Role.BMT)}"}


def _get(client: TestClient, path: str, headers: dict[str, str]) -> Any:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


def test_the_dashboard_has_the_cycle_in_force_and_the_next(
    client: TestClient, month: Mailbox, bmt_token: dict[str, str]
) -> None:
    body = _get(client, "/api/v1/dashboard", bmt_token)

    assert (body["in_force"]["cycle"], body["next"]["cycle"]) == ("2027-03", "2027-04")
    april = body["next"]
    assert april["phase"] == "issued" and april["label"] == "April 2027"
    assert april["dates"]["active_from"] == "2027-04-05T00:00:00+01:00"
    counts = april["counts"]
    assert (counts["codes_issued"], counts["spocs"], counts["failing"]) == (8, 15, 1)
    assert (counts["acknowledged"], counts["unlock_sent"]) == (1, 1)
    first = april["acknowledgements_by_day"][0]
    assert first == {
        "day": "2027-03-31",
        "acknowledgements": 1,
        "cumulative": 1,
        "activation": False,
    }


def test_a_cycle_lists_every_provider_and_spoc(
    client: TestClient, month: Mailbox, bmt_token: dict[str, str]
) -> None:
    body = _get(client, "/api/v1/cycles/2027-04", bmt_token)

    providers = {p["ref"]: p for p in body["providers"]}
    assert sorted(providers) == [f"PRV00{n}" for n in range(1, 9)]
    spocs = {s["email"]: s for p in body["providers"] for s in p["spocs"]}
    assert spocs["priya.raman@example.org"]["stage"] == "unlock-sent"
    assert spocs["tom.whitaker@example.org"]["stage"] == "sent"
    assert spocs[FAILING]["stage"] == "document-failing"
    assert "mailbox unavailable" in spocs[FAILING]["error"]
    assert providers["PRV001"]["code_state"] == "issued"


def test_no_code_or_unlock_code_is_ever_in_an_answer(
    client: TestClient, month: Mailbox, bmt_token: dict[str, str], web_container: Container
) -> None:
    answers = " ".join(
        client.get(path, headers=bmt_token).text
        for path in ("/api/v1/dashboard", "/api/v1/cycles", "/api/v1/cycles/2027-04")
    )
    with web_container.uow() as uow:
        for code in uow.session.query(AccessCode):
            assert reveal_access_code(web_container.keyring, code) not in answers
            assert reveal_unlock_code(web_container.keyring, code) not in answers


def test_the_cycles_are_listed_newest_first(
    client: TestClient, month: Mailbox, bmt_token: dict[str, str]
) -> None:
    body = _get(client, "/api/v1/cycles", bmt_token)

    assert [c["cycle"] for c in body["cycles"]] == ["2027-04", "2027-03"]


def test_the_register_can_be_searched(
    client: TestClient, month: Mailbox, bmt_token: dict[str, str]
) -> None:
    everyone = _get(client, "/api/v1/providers", bmt_token)
    found = _get(client, "/api/v1/providers?q=harbour", bmt_token)

    assert everyone["count"] == 14 and everyone["query"] is None
    assert [p["ref"] for p in found["providers"]] == ["PRV002", "SUB201"]
    assert found["providers"][0]["subcontractors"] == ["SUB201"]
    assert found["providers"][1]["prime_ref"] == "PRV002"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/cycles/2027-13", "invalid-cycle"),
        ("/api/v1/cycles/april", "invalid-cycle"),
        ("/api/v1/providers?include_inactive=perhaps", "invalid-include-inactive"),
        ("/api/v1/providers?q=" + "x" * 201, "invalid-query"),
    ],
)
def test_a_bad_parameter_is_a_json_error(
    client: TestClient, bmt_token: dict[str, str], path: str, code: str
) -> None:
    response = client.get(path, headers=bmt_token)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_without_a_token_the_answer_is_401_with_a_json_error(client: TestClient) -> None:
    response = client.get("/api/v1/dashboard")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_another_role_is_refused_with_403(client: TestClient, web_container: Container) -> None:
    token = make_token(web_container, "security-feed", Role.SECURITY)

    response = client.get("/api/v1/cycles", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "forbidden", "message": "the security role may not use this"}
    }


def test_a_signed_in_bmt_browser_can_read_it(client: TestClient, web_container: Container) -> None:
    signed_in_client(client, web_container, Role.BMT)

    assert client.get("/api/v1/dashboard").status_code == 200


def test_the_openapi_description_covers_the_api_and_nothing_else(
    client: TestClient, app: FastAPI
) -> None:
    schema = client.get("/openapi.json").json()

    assert {
        "/api/v1/cycles",
        "/api/v1/cycles/{cycle}",
        "/api/v1/dashboard",
        "/api/v1/providers",
    } <= set(schema["paths"])
    assert all(path.startswith("/api/") for path in schema["paths"])  # no page
    assert app.openapi() == schema
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    operation = schema["paths"]["/api/v1/cycles/{cycle}"]["get"]
    assert operation["security"] == [{"apiToken": []}]
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
    (parameter,) = operation["parameters"]
    assert parameter["schema"]["pattern"].startswith("^")
    stage = schema["components"]["schemas"]["Stage"]
    assert "document-failing" in stage["enum"]


def test_a_cycle_with_mail_cancelled_by_a_reissue_is_described(
    client: TestClient, web_container: Container, clock: Clock, bmt_token: dict[str, str]
) -> None:
    """Email 1 of a code reissued before it went out is "cancelled": a state the API
    must describe (it once answered 500 here)."""
    clock.now = ISSUE_DAY
    import_example_register(web_container)
    issue(web_container)
    reissue_provider(web_container, "PRV001", reason="Precaution", actor="test", source="test")

    body = _get(client, "/api/v1/cycles/2027-04", bmt_token)

    rows = [p for p in body["providers"] if p["ref"] == "PRV001"]
    revoked = next(p for p in rows if p["code_state"] == "revoked")
    assert {s["document_state"] for s in revoked["spocs"]} == {"cancelled"}
    replacement = next(p for p in rows if p["code_state"] == "issued")
    assert {s["document_state"] for s in replacement["spocs"]} == {"queued"}
