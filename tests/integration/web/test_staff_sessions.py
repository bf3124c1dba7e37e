"""Staff sessions through HTTP: signing out, idle and absolute lifetimes, what ends
them, and cookies not made by the service."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.web.sessions import SessionCookies
from tests.integration.web.links import NOW, csrf_field
from tests.integration.web.staff import (
    audit_actions,
    make_staff,
    sign_in,
)
from tests.support.clock import Clock
from tests.support.staff import disable_user, reset_password


def test_signing_out_ends_the_session_even_for_a_copied_cookie(
    web_container: Container, client: TestClient
) -> None:
    make_staff(web_container, "ann", Role.BMT)
    sign_in(client, "ann")
    copied = client.cookies["session"]
    page = client.get("/sign-out")
    assert page.status_code == 200

    out = client.post("/sign-out", data={"csrf_token": csrf_field(page.text)})

    assert out.status_code == 200
    assert "You have signed out" in out.text
    assert "session" not in client.cookies
    replay = TestClient(client.app, base_url="http://127.0.0.1:8000", cookies={"session": copied})
    assert replay.get("/staff", follow_redirects=False).status_code == 302
    assert audit_actions(web_container, "staff:session:sign_out")[0][1] == "user:ann"


def test_sign_out_needs_the_forms_csrf_token(web_container: Container, client: TestClient) -> None:
    make_staff(web_container, "ann", Role.BMT)
    sign_in(client, "ann")

    refused = client.post("/sign-out", data={})

    assert refused.status_code == 400
    assert client.get("/staff", follow_redirects=False).status_code == 200


def test_a_session_ends_after_thirty_idle_minutes(
    web_container: Container, client: TestClient, clock: Clock
) -> None:
    make_staff(web_container, "ann", Role.BMT)
    sign_in(client, "ann")

    clock.now = NOW + timedelta(minutes=29)
    assert client.get("/staff", follow_redirects=False).status_code == 200  # refreshes it
    clock.now = NOW + timedelta(minutes=58)
    assert client.get("/staff", follow_redirects=False).status_code == 200
    clock.now = NOW + timedelta(minutes=88)
    expired = client.get("/staff", follow_redirects=False)

    assert expired.status_code == 302
    assert "session" not in client.cookies  # the stale cookie is deleted


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(
    web_container: Container, client: TestClient, clock: Clock
) -> None:
    make_staff(web_container, "ann", Role.BMT)
    sign_in(client, "ann")

    for minutes in range(20, 12 * 60, 20):
        clock.now = NOW + timedelta(minutes=minutes)
        assert client.get("/staff", follow_redirects=False).status_code == 200, minutes
    clock.now = NOW + timedelta(hours=12)

    assert client.get("/staff", follow_redirects=False).status_code == 302


def test_disabling_or_a_new_password_ends_open_sessions(
    web_container: Container, client: TestClient, app: FastAPI
) -> None:
    make_staff(web_container, "ann", Role.BMT)
    make_staff(web_container, "bob", Role.BMT)
    other = TestClient(app, base_url="http://127.0.0.1:8000")
    sign_in(client, "ann")
    sign_in(other, "bob")

    disable_user(web_container, "ann", actor="cli:root")
    reset_password(web_container, "bob", "amber kettle north tide 9", actor="cli:root")

    assert client.get("/staff", follow_redirects=False).status_code == 302
    assert other.get("/staff", follow_redirects=False).status_code == 302


def test_a_cookie_made_without_the_secret_is_no_session(
    web_container: Container, client: TestClient, app: FastAPI
) -> None:
    make_staff(web_container, "root.admin", Role.ADMIN)
    sign_in(client, "root.admin")
    genuine = client.cookies["session"]
    decoded = app.state.session_cookies.decode(genuine)
    assert decoded is not None
    forger = SessionCookies(b"a guess at the secret, 32 bytes or more", https=False)
    intruder = TestClient(
        app, base_url="http://127.0.0.1:8000", cookies={"session": forger.encode(decoded)}
    )
    spliced = genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB")
    splicer = TestClient(app, base_url="http://127.0.0.1:8000", cookies={"session": spliced})

    assert client.get("/admin/accounts", follow_redirects=False).status_code == 200
    assert intruder.get("/admin/accounts", follow_redirects=False).status_code == 302
    assert splicer.get("/admin/accounts", follow_redirects=False).status_code == 302


def test_a_signed_in_visit_to_sign_in_goes_home(
    web_container: Container, client: TestClient
) -> None:
    make_staff(web_container, "ann", Role.BMT)
    sign_in(client, "ann")

    assert client.get("/sign-in", follow_redirects=False).headers["location"] == "/bmt"
    assert client.get("/", follow_redirects=False).headers["location"] == "/bmt"
