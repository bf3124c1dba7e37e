from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import make_url

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.integration.web.helpline_world import (
    HelplineWorld,
    assert_no_secret_in,
    audit_and_log_texts,
    audit_details,
    chars,
    wrong,
)
from tests.integration.web.staff import make_staff, make_token, sign_in
from tests.support.clock import Clock

CHALLENGES = "/api/v1/challenges"


@pytest.fixture
def crm(web_container: Container, world: HelplineWorld) -> dict[str, str]:
    """The Authorization header of the helpline CRM's agent token."""
    return {"Authorization": "Bearer " + make_token(web_container, "helpline-crm", Role.AGENT)}


class Calls:
    """The API as the CRM calls it, keeping every response body to search afterwards."""

    def __init__(self, client: TestClient, world: HelplineWorld, headers: dict[str, str]):
        self.client, self.world, self.headers = client, world, headers
        self.bodies: list[str] = []

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        response = self.client.post(
            path, json=body, headers=self.headers if headers is None else headers
        )
        self.bodies.append(response.text)
        assert response.headers["cache-control"] == "no-store"
        return response

    def start(self, ref: str = "PRV001") -> dict[str, Any]:
        self.world.tick()
        response = self.post(CHALLENGES, {"provider_ref": ref})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        self.world.challenge_ids.append(body["id"])
        return body

    def answer(self, challenge_id: str, characters: str) -> Any:
        self.world.given.append(characters)
        return self.post(f"{CHALLENGES}/{challenge_id}/answer", {"characters": characters})


@pytest.fixture
def api(client: TestClient, world: HelplineWorld, crm: dict[str, str]) -> Calls:
    return Calls(client, world, crm)


def error_of(response: Any) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    return response.status_code, body["error"]["code"]


def test_a_challenge_and_a_right_answer_pass(api: Calls, world: HelplineWorld) -> None:
    started = api.start()

    assert set(started) == {"id", "positions", "expires_at"}
    positions = started["positions"]
    assert len(set(positions)) == 3 and all(1 <= p <= 8 for p in positions)
    assert datetime.fromisoformat(started["expires_at"]) == api.world.container.now() + timedelta(
        minutes=5
    )
    answered = api.answer(started["id"], chars(world.code(), positions))
    assert answered.status_code == 200
    assert answered.json() == {"result": "pass"}


def test_each_request_is_one_transaction_its_token_checked_in_it(
    api: Calls, web_container: Container, world: HelplineWorld
) -> None:
    begun: list[object] = []

    def note(connection: object) -> None:
        begun.append(connection)

    code = world.code()
    event.listen(web_container.engine, "begin", note)
    try:
        started = api.start()
        after_start = len(begun)
        answered = api.answer(started["id"], chars(code, started["positions"]))
    finally:
        event.remove(web_container.engine, "begin", note)

    assert answered.json() == {"result": "pass"}
    assert (after_start, len(begun)) == (1, 2)
    with web_container.read_uow() as uow:  # the token's use was noted in it
        token = uow.accounts.live_token_named("helpline-crm")
        assert token is not None and token.last_used_at is not None


def test_on_sqlite_a_request_works_on_the_event_loop_unless_it_would_wait(
    api: Calls, web_container: Container, world: HelplineWorld
) -> None:
    """SQLite: on the event loop when the write lock is free; when another process holds
    it, on a worker thread, waiting its turn, having done nothing before. PostgreSQL:
    always on a worker thread (its transactions take their locks as they go)."""
    threads: list[str] = []

    def note(_connection: object) -> None:
        threads.append(threading.current_thread().name)

    sqlite = web_container.engine.dialect.name == "sqlite"
    assert web_container.writes_at_once is sqlite
    event.listen(web_container.engine, "begin", note)
    try:
        api.start()
        if sqlite:
            other = sqlite3.connect(
                make_url(web_container.settings.database_url).database or "",
                isolation_level=None,
                check_same_thread=False,
            )
            other.execute("BEGIN IMMEDIATE")  # another process's writer, as SQLite sees it
            letting_go = threading.Timer(0.3, other.execute, ["COMMIT"])
            letting_go.start()
        api.start()
    finally:
        event.remove(web_container.engine, "begin", note)
        if sqlite:
            letting_go.join()
            other.close()

    on_worker = [name.startswith("codeservice-web") for name in threads]
    assert on_worker == ([False, True] if sqlite else [True, True])
    with web_container.read_uow() as uow:
        assert all(uow.helpline.get_challenge(id) for id in world.challenge_ids[-2:])


def test_a_wrong_answer_fails(api: Calls, world: HelplineWorld) -> None:
    started = api.start()

    answered = api.answer(started["id"], wrong(world.code(), started["positions"]))

    assert answered.json() == {"result": "fail"}


def test_a_wrong_case_fails(api: Calls, world: HelplineWorld) -> None:
    for _ in range(20):  # until the positions asked hold a letter
        started = api.start()
        right = chars(world.code(), started["positions"])
        if right.swapcase() != right:
            break
        assert api.answer(started["id"], right).json() == {"result": "pass"}
    else:
        raise AssertionError("no letter asked in 20 challenges")

    assert api.answer(started["id"], right.swapcase()).json() == {"result": "fail"}


def test_a_subcontractor_is_checked_against_its_prime(api: Calls, world: HelplineWorld) -> None:
    started = api.start("SUB101")

    answered = api.answer(started["id"], chars(world.code("PRV001"), started["positions"]))

    assert answered.json() == {"result": "pass"}
    [created, _] = audit_details(world.container)
    assert created["provider"] == "SUB101" and created["prime"] == "PRV001"
    assert created["actor"] == "token:helpline-crm"


def test_each_refusal_has_its_code_and_status(
    api: Calls, world: HelplineWorld, clock: Clock
) -> None:
    assert error_of(api.post(CHALLENGES, {"provider_ref": "PRV003"})) == (422, "not_eligible")
    assert error_of(api.post(CHALLENGES, {"provider_ref": "NOPE99"})) == (422, "not_eligible")
    assert error_of(api.post(CHALLENGES, {"provider_ref": "PRV00"})) == (422, "ambiguous_provider")
    assert error_of(api.post(CHALLENGES, {"provider_ref": "PRV004"})) == (409, "no_code_in_force")
    assert error_of(api.answer("x" * 22, "abc")) == (404, "challenge_not_found")
    # A ref no document or database can carry is refused by name, never as a bare "error".
    assert error_of(api.post(CHALLENGES, {"provider_ref": "PRV\u0000001"})) == (
        400,
        "invalid_request",
    )

    started = api.start()
    right = chars(world.code(), started["positions"])
    assert error_of(api.answer(started["id"], right[:2])) == (422, "answer_malformed")
    assert api.answer(started["id"], right).json() == {"result": "pass"}
    assert error_of(api.answer(started["id"], right)) == (409, "challenge_answered")

    late = api.start()
    clock.now += timedelta(minutes=5)
    assert error_of(api.answer(late["id"], "abc")) == (410, "challenge_expired")

    for _ in range(3):
        failing = api.start()
        assert api.answer(failing["id"], wrong(world.code(), failing["positions"])).json() == {
            "result": "fail"
        }
    assert error_of(api.post(CHALLENGES, {"provider_ref": "PRV001"})) == (
        423,
        "verification_locked",
    )


def test_bodies_are_validated_strictly(api: Calls, world: HelplineWorld) -> None:
    started = api.start()
    answer_path = f"{CHALLENGES}/{started['id']}/answer"

    for path, body in [
        (CHALLENGES, {"provider_ref": "PRV001", "agent": "someone"}),
        (CHALLENGES, {}),
        (CHALLENGES, {"provider_ref": 1}),
        (CHALLENGES, ["PRV001"]),
        (answer_path, {"characters": "abc", "positions": [1, 2, 3]}),
        (answer_path, {"characters": ""}),
        (answer_path, {"characters": "x" * 33}),
    ]:
        response = api.post(path, body)
        assert error_of(response) == (400, "invalid_request"), body
    unknown = api.post(CHALLENGES, {"provider_ref": "PRV001", "Zq7": 1})
    assert "Zq7" not in unknown.text
    assert "unknown fields are not allowed" in unknown.json()["error"]["message"]
    json_type = {**api.headers, "content-type": "application/json"}
    not_json = api.client.post(CHALLENGES, content=b"{not json", headers=json_type)
    assert error_of(not_json) == (400, "invalid_request")
    # The challenge was left as it was.
    answered = api.answer(started["id"], chars(world.code(), started["positions"]))
    assert answered.json() == {"result": "pass"}


def test_a_token_is_needed_and_it_must_be_an_agents(
    api: Calls, web_container: Container, client: TestClient, world: HelplineWorld
) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
        response = api.post(CHALLENGES, {"provider_ref": "PRV001"}, headers=headers)
        assert error_of(response) == (401, "unauthenticated")
        assert response.headers["www-authenticate"] == 'Bearer realm="codeservice"'

    bmt = {"Authorization": "Bearer " + make_token(web_container, "dashboard", Role.BMT)}
    assert error_of(api.post(CHALLENGES, {"provider_ref": "PRV001"}, headers=bmt)) == (
        403,
        "forbidden",
    )
    started = api.start()
    refused = api.post(f"{CHALLENGES}/{started['id']}/answer", {"characters": "abc"}, headers=bmt)
    assert error_of(refused) == (403, "forbidden")

    # A signed-in agent's browser session is not enough to change anything.
    make_staff(web_container, "agent.user", Role.AGENT)
    sign_in(client, "agent.user")
    session_only = api.post(CHALLENGES, {"provider_ref": "PRV001"}, headers={})
    assert error_of(session_only) == (401, "unauthenticated")


def test_no_code_character_is_returned_logged_or_audited(
    api: Calls, world: HelplineWorld, caplog: pytest.LogCaptureFixture, clock: Clock
) -> None:
    caplog.set_level(logging.DEBUG)
    first = api.start()
    baseline = audit_and_log_texts(world.container, caplog) + api.bodies[:]
    right = chars(world.code(), first["positions"])
    api.answer(first["id"], " ".join(right))  # spaces are allowed between characters
    for ref, prime in (("PRV001", "PRV001"), ("SUB101", "PRV001"), ("PRV002", "PRV002")):
        started = api.start(ref)
        api.answer(started["id"], wrong(world.code(prime), started["positions"]))
    malformed = api.start("PRV002")
    api.answer(malformed["id"], world.code("PRV002")[:2])
    api.answer(malformed["id"], world.code("PRV002"))  # the whole code: malformed too
    api.answer(malformed["id"], chars(world.code("PRV002"), malformed["positions"]))
    api.answer(malformed["id"], chars(world.code("PRV002"), malformed["positions"]))
    expired = api.start("PRV002")
    clock.now += timedelta(minutes=6)
    api.answer(expired["id"], chars(world.code("PRV002"), expired["positions"]))

    texts = audit_and_log_texts(world.container, caplog)
    assert_no_secret_in(api.bodies + texts, world, baseline=baseline)
    for details in audit_details(world.container):
        assert not set(map(str, details.values())) & set(world.given)


def test_the_openapi_document_describes_bodies_and_errors(app: FastAPI) -> None:
    schema = app.openapi()
    start = schema["paths"][CHALLENGES]["post"]
    answer = schema["paths"][CHALLENGES + "/{challenge_id}/answer"]["post"]

    # Every call can be refused as too large (413) or as not JSON (415).
    assert set(start["responses"]) == {
        "201",
        "400",
        "401",
        "403",
        "409",
        "413",
        "415",
        "422",
        "423",
    }
    assert set(answer["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "410",
        "413",
        "415",
        "422",
        "423",
    }
    assert "verification_locked" in answer["responses"]["423"]["description"]
    components = schema["components"]["schemas"]
    assert components["ChallengeRequest"]["additionalProperties"] is False
    assert components["AnswerResult"]["properties"]["result"]["enum"] == ["pass", "fail"]
    assert set(components["ApiError"]["properties"]) == {"error"}


def test_a_provider_without_an_approved_security_plan_is_refused_saying_so(
    api: Calls, world: HelplineWorld
) -> None:
    """§17–18: the CRM is told why, in words the agent can read to the caller."""
    with world.container.uow() as uow:
        provider = uow.register.get_provider("PRV002")
        assert provider is not None
        provider.security_plan_approved_on = None  # received, not yet approved
        uow.commit()

    response = api.post(CHALLENGES, {"provider_ref": "PRV002"})

    assert error_of(response) == (422, "not_eligible")
    assert response.json()["error"]["message"].endswith(
        "cannot use Provider Direct: no approved security plan"
    )
    refused = audit_details(world.container, "helpline:challenge:refuse")
    assert [details["reason"] for details in refused] == ["no approved security plan"]
