"""Second factors in the browser (TestClient): setting one up at the first sign-in, the
second step, a half-signed-in browser reaching nothing, your own factors, an
administrator's reset, and CSRF on every new form."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.integration.web.links import csrf_field, csrf_field_of_form, csrf_for
from tests.integration.web.staff import (
    PASSWORD,
    audit_actions,
    make_staff,
    second_step,
    sign_in,
    signed_in_client,
)
from tests.support.clock import Clock
from tests.support.staff import add_user

SET_UP = "/sign-in/set-up"
HALF_SIGNED_IN_PATHS = [
    "/staff",
    "/staff/second-factors",
    "/staff/password",
    "/admin/accounts",
    "/bmt",
    "/helpline",
    "/security/incidents",
    "/api/whoami",
]


def _post(client: TestClient, path: str, **data: str) -> Response:
    form = {**data, "csrf_token": csrf_for(client, path)}
    response: Response = client.post(path, data=form, follow_redirects=False)
    return response


def _key_on(page: str) -> str:
    match = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page)
    assert match, "the page shows no key"
    return match.group(1).replace(" ", "")


def _new_admin(container: Container) -> None:
    add_user(container, "root", role=Role.ADMIN, password=PASSWORD, actor="cli:root")


def test_the_first_sign_in_sets_up_an_app_before_any_page_and_shows_the_codes_once(
    client: TestClient, web_container: Container, clock: Clock
) -> None:
    _new_admin(web_container)  # as `codeservice users add` leaves the first admin
    password = sign_in(client, "root")
    assert password.headers["location"] == SET_UP

    for path in HALF_SIGNED_IN_PATHS:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code in {302, 401}, path
        assert answer.status_code == 401 or answer.headers["location"].startswith("/sign-in")
    assert (
        client.get("/sign-in/second-factor", follow_redirects=False).headers["location"] == SET_UP
    )

    page = client.get(SET_UP)
    assert page.status_code == 200 and "<svg" in page.text
    key = _key_on(page.text)
    wrong = client.post(
        SET_UP,
        data={
            "csrf_token": csrf_field_of_form(page.text, SET_UP),
            "code": "000000",
            "name": "Work phone",
        },
        follow_redirects=False,
    )
    assert wrong.status_code == 422
    assert "The code is not right" in wrong.text and _key_on(wrong.text) == key

    done = client.post(
        SET_UP,
        data={
            "csrf_token": csrf_field_of_form(wrong.text, SET_UP),
            "code": pyotp.TOTP(key).at(clock.now),
            "name": "Work phone",
        },
        follow_redirects=False,
    )
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.text)
    assert len(codes) == 10
    assert "You will not be shown these codes again" in done.text
    assert client.get("/admin/accounts").status_code == 200  # signed in now
    listed = client.get("/staff/second-factors")
    assert "Work phone" in listed.text and "You have 10 unused recovery codes" in listed.text
    assert not any(code in listed.text for code in codes)


def test_a_recovery_code_signs_in_once(
    client: TestClient, web_container: Container, clock: Clock
) -> None:
    _new_admin(web_container)
    sign_in(client, "root")
    page = client.get(SET_UP)
    key = _key_on(page.text)
    done = _post(client, SET_UP, code=pyotp.TOTP(key).at(clock.now))
    code = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.text)[0]
    client.post("/sign-out", data={"csrf_token": csrf_for(client, "/sign-out")})

    def with_recovery_code() -> Response:
        data = {"csrf_token": csrf_field(client.get("/sign-in").text)}
        data |= {"username": "root", "password": PASSWORD}
        first = client.post("/sign-in", data=data, follow_redirects=False)
        assert first.headers["location"] == "/sign-in/second-factor"
        return _post(client, "/sign-in/recovery-code", code=code)

    used = with_recovery_code()
    assert used.status_code == 303 and used.headers["location"] == "/admin/accounts"
    client.post("/sign-out", data={"csrf_token": csrf_for(client, "/sign-out")})
    again = with_recovery_code()
    assert again.status_code == 400
    assert "The code is not right" in again.text
    assert [a for a, _, _ in audit_actions(web_container, "staff:factor:recovery_use")] == [
        "staff:factor:recovery_use"
    ]


def test_your_own_factors_add_remove_but_keep_one_and_new_codes(
    client: TestClient, web_container: Container, clock: Clock
) -> None:
    signed_in_client(client, web_container, Role.AGENT)
    listed = client.get("/staff/second-factors")
    assert "Your only one" in listed.text and "Remove" not in listed.text

    page = client.get("/staff/second-factors/app")
    key = _key_on(page.text)
    clock.now += timedelta(minutes=2)
    added = _post(client, "/staff/second-factors/app", code=pyotp.TOTP(key).at(clock.now))
    assert added.headers["location"] == "/staff/second-factors?done=added"
    listed = client.get("/staff/second-factors")
    removes = re.findall(r'action="(/staff/second-factors/\d+/remove)"', listed.text)
    assert len(removes) == 2

    assert _post(client, removes[0]).status_code == 303
    listed = client.get("/staff/second-factors")
    assert "Test phone" not in listed.text and "Authenticator app" in listed.text
    assert "Your only one" in listed.text

    new = _post(client, "/staff/second-factors/recovery-codes")
    assert new.status_code == 200
    assert len(re.findall(r"<code>[a-z0-9]{5}-[a-z0-9]{5}</code>", new.text)) == 10


def test_an_admin_resets_a_persons_second_factor_and_they_set_up_again(
    client: TestClient, web_container: Container, app: object
) -> None:
    make_staff(web_container, "ann", Role.BMT)
    with TestClient(app, base_url="http://127.0.0.1:8000") as ann:  # type: ignore[arg-type]
        assert sign_in(ann, "ann").status_code == 303
        assert ann.get("/staff", follow_redirects=False).status_code == 200
        signed_in_client(client, web_container, Role.ADMIN)

        page = client.get("/admin/accounts/ann")
        assert "Test phone" in page.text and "Reset second factors" in page.text
        reset = _post(client, "/admin/accounts/ann/second-factors")

        assert reset.headers["location"] == "/admin/accounts/ann?done=second-factors"
        assert "None: the person sets one up" in client.get("/admin/accounts/ann").text
        assert ann.get("/staff", follow_redirects=False).status_code == 302  # session ended
        assert sign_in(ann, "ann").headers["location"] == SET_UP
    ((_, actor, details),) = audit_actions(web_container, "staff:factor:reset")
    assert actor == "user:admin.user" and details["username"] == "ann"


@pytest.mark.parametrize(
    "path",
    [
        "/staff/second-factors/app",
        "/staff/second-factors/recovery-codes",
        "/staff/second-factors/1/remove",
        "/admin/accounts/admin.user/second-factors",
    ],
)
def test_every_new_form_needs_its_csrf_field(
    client: TestClient, web_container: Container, path: str
) -> None:
    signed_in_client(client, web_container, Role.ADMIN)
    before = audit_actions(web_container, "staff:factor:")

    refused = client.post(path, data={"code": "123456"}, follow_redirects=False)

    assert refused.status_code == 400 and "Your session expired" in refused.text
    assert audit_actions(web_container, "staff:factor:") == before


@pytest.mark.parametrize(
    "path", ["/sign-in/second-factor", "/sign-in/recovery-code", "/sign-in/set-up"]
)
def test_the_second_steps_forms_need_their_csrf_field(
    client: TestClient, web_container: Container, path: str
) -> None:
    make_staff(web_container, "ann", Role.BMT)
    data = {"csrf_token": csrf_field(client.get("/sign-in").text)}
    data |= {"username": "ann", "password": PASSWORD}
    client.post("/sign-in", data=data, follow_redirects=False)

    refused = client.post(path, data={"code": "123456"}, follow_redirects=False)

    assert refused.status_code == 400 and "Your session expired" in refused.text
    assert second_step(client, "ann").status_code == 303  # the right way still works


def test_a_security_keys_options_keep_a_challenge_that_answers_once(
    client: TestClient, web_container: Container
) -> None:
    _new_admin(web_container)
    sign_in(client, "root")

    options = client.get("/sign-in/set-up/security-key/options")
    assert options.status_code == 200 and options.headers["cache-control"] == "no-store"
    body = options.json()
    assert body["rp"]["id"] == "127.0.0.1"  # the base URL's host (a browser needs a name)
    assert body["user"]["name"] == "root" and body["challenge"]
    page = client.get(SET_UP)

    def send(credential: str) -> Response:
        data = {"csrf_token": csrf_field_of_form(page.text, "/sign-in/set-up/security-key")}
        data |= {"credential": credential, "key_name": "Key"}
        return client.post("/sign-in/set-up/security-key", data=data, follow_redirects=False)

    forged = send('{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}')
    assert forged.status_code == 422
    assert "could not be checked" in forged.text
    again = send('{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}')
    assert again.status_code == 422 and "was not set up" in again.text  # challenge used
    assert client.get("/admin/accounts", follow_redirects=False).status_code == 302
    assert audit_actions(web_container, "staff:factor:enrol") == []


def test_a_wrong_security_key_answer_counts_as_a_failure(
    client: TestClient, web_container: Container
) -> None:
    make_staff(web_container, "ann", Role.BMT)
    data = {"csrf_token": csrf_field(client.get("/sign-in").text)}
    data |= {"username": "ann", "password": PASSWORD}
    client.post("/sign-in", data=data, follow_redirects=False)

    refused = _post(client, "/sign-in/security-key", credential='{"rawId": "AAAA"}')

    assert refused.status_code == 400
    fail = audit_actions(web_container, "staff:session:sign_in_fail")[-1]
    assert fail[2]["reason"] == "wrong_second_factor"
    assert client.get("/staff", follow_redirects=False).status_code == 302
