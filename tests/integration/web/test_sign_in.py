"""Staff sign in, sessions and sign out through HTTP, on a clock the test sets."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container, bootstrap
from codeservice.domain.accounts import Role
from codeservice.web import create_app
from codeservice.web.headers import CONTENT_SECURITY_POLICY
from tests.integration.web.links import NOW, csrf_field
from tests.integration.web.staff import (
    PASSWORD,
    audit_actions,
    make_staff,
    page_main,
    second_step,
    session_cookie,
    sign_in,
    sign_in_form,
)
from tests.support.clock import Clock
from tests.support.pages import assert_no_inline_code

WRONG = "not the password at all"
GENERIC = "Enter a correct username and password"


def test_the_sign_in_page_is_a_govuk_form_with_csrf(client: TestClient) -> None:
    page = client.get("/sign-in")

    assert page.status_code == 200
    html = page.text
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert 'type="password"' in html
    assert csrf_field(html)
    assert_no_inline_code(html)
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "session" not in client.cookies


def test_a_staff_page_sends_strangers_to_sign_in_and_back(
    web_container: Container, client: TestClient
) -> None:
    make_staff(web_container, "ann", Role.BMT, display_name="Ann Lee")

    first = client.get("/staff?tab=1", follow_redirects=False)
    assert first.status_code == 302
    assert first.headers["location"] == "/sign-in?next=%2Fstaff%3Ftab%3D1"

    form = client.get(first.headers["location"])
    assert 'name="next" value="/staff?tab=1"' in form.text
    signed_in = client.post(
        "/sign-in",
        data={
            "csrf_token": csrf_field(form.text),
            "username": "ann",
            "password": PASSWORD,
            "next": "/staff?tab=1",
        },
        follow_redirects=False,
    )

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/sign-in/second-factor"
    assert client.get("/staff", follow_redirects=False).status_code == 302  # half signed in
    finished = second_step(client, "ann")
    assert finished.status_code == 303
    assert finished.headers["location"] == "/staff?tab=1"
    home = client.get("/staff")
    assert home.status_code == 200
    assert "Signed in as Ann Lee (bmt)" in home.text
    assert home.headers["cache-control"] == "no-store"
    assert_no_inline_code(home.text)
    assert audit_actions(web_container, "staff:session:")[-1][:2] == (
        "staff:session:sign_in",
        "user:ann",
    )


def test_the_session_cookie_is_http_only_strict_and_holds_no_secret(
    web_container: Container, client: TestClient
) -> None:
    make_staff(web_container, "ann", Role.BMT)

    cookie = session_cookie(sign_in(client, "ann"))

    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # the base URL is http here
    assert PASSWORD not in cookie


def test_https_deployments_mark_the_session_cookie_secure(
    app_env: dict[str, str], container: Container
) -> None:
    https = bootstrap({**app_env, "CODESERVICE_BASE_URL": "https://codes.example.gov.uk"})
    make_staff(https, "ann", Role.BMT)
    client = TestClient(create_app(https), base_url="https://codes.example.gov.uk")

    cookie = session_cookie(sign_in(client, "ann"))

    assert "Secure" in cookie
    https.close()


def test_wrong_password_and_unknown_user_get_the_same_page(
    web_container: Container, client: TestClient
) -> None:
    make_staff(web_container, "ann", Role.BMT)

    wrong = sign_in(client, "ann", WRONG)
    unknown = sign_in(client, "nobody", WRONG)

    assert wrong.status_code == unknown.status_code == 400
    assert page_main(wrong.text).replace("ann", "nobody") == page_main(unknown.text)
    assert "There is a problem" in wrong.text
    assert f'<a href="#username">{GENERIC}</a>' in wrong.text
    assert "govuk-error-message" in wrong.text
    assert "<title>Error: Sign in" in wrong.text
    assert WRONG not in wrong.text
    assert "session" not in client.cookies


def test_empty_fields_get_their_own_messages(client: TestClient) -> None:
    response = client.post(
        "/sign-in",
        data={"csrf_token": sign_in_form(client), "username": " ", "password": ""},
    )

    assert response.status_code == 400
    assert '<a href="#username">Enter your username</a>' in response.text
    assert '<a href="#password">Enter your password</a>' in response.text


def test_sign_in_needs_the_forms_csrf_token(web_container: Container, client: TestClient) -> None:
    make_staff(web_container, "ann", Role.BMT)
    client.get("/sign-in")

    response = client.post("/sign-in", data={"username": "ann", "password": PASSWORD})

    assert response.status_code == 400
    assert "session" not in client.cookies
    assert audit_actions(web_container, "staff:session:") == []


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/sign-out",
        "staff",
    ],
)
def test_only_local_pages_are_returned_to(
    web_container: Container, client: TestClient, target: str
) -> None:
    make_staff(web_container, "ann", Role.BMT)

    response = sign_in(client, "ann", next_path=target)

    assert response.headers["location"] == "/bmt"


@pytest.fixture
def quick_container(web_container: Container, clock: Clock) -> Iterator[Container]:
    """Failures answered within milliseconds, so ten of them take no time."""
    settings = dataclasses.replace(web_container.settings, sign_in_delay_max_ms=20)
    built = Container(settings, clock=clock)
    yield built
    built.close()


def test_ten_wrong_passwords_lock_the_account_for_a_time(
    quick_container: Container, clock: Clock
) -> None:
    make_staff(quick_container, "ann", Role.BMT)
    client = TestClient(create_app(quick_container), base_url="http://127.0.0.1:8000")

    answers = [sign_in(client, "ann", WRONG) for _ in range(10)]
    locked = sign_in(client, "ann", PASSWORD)  # the right password, the 11th attempt

    assert [a.status_code for a in answers] == [400] * 9 + [429]
    assert all(GENERIC in a.text for a in answers[:9])
    assert locked.status_code == 429
    assert "This account is locked because of too many wrong passwords" in locked.text
    assert "Try again after Thursday 1 April 2027 at 10:45" in locked.text
    assert "ask an administrator to unlock it" in locked.text
    assert "session" not in client.cookies

    clock.now = NOW + timedelta(minutes=15)
    assert sign_in(client, "ann", PASSWORD).status_code == 303

    trail = audit_actions(quick_container, "staff:")
    fails = [t for t in trail if t[0] == "staff:session:sign_in_fail"]
    assert len(fails) == 10
    assert all(t[2]["username"] == "ann" and t[1] == "anonymous" for t in fails)
    assert [t[0] for t in trail].count("staff:account:lock") == 1
    assert [t[0] for t in trail][-2:] == ["staff:session:sign_in_refuse", "staff:session:sign_in"]
    assert WRONG not in str(trail) and PASSWORD not in str(trail)
