"""Sign-in through HTTP: no answer tells a real username from an unknown one, and an
address that fails too often gets a page that says so; arbitrary input never breaks it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.web import create_app
from tests.integration.web.links import csrf_field
from tests.integration.web.staff import PASSWORD, make_staff, page_main, sign_in, sign_in_form
from tests.support.clock import Clock

WRONG = "not the password at all"
_CHANGEABLE = {"audit_records", "sign_in_throttles", "staff_users"}


@pytest.fixture
def quick(web_container: Container, clock: Clock) -> Iterator[Container]:
    settings = dataclasses.replace(web_container.settings, sign_in_delay_max_ms=1)
    built = Container(settings, clock=clock)
    yield built
    built.close()


def _main(html: str, name: str) -> str:
    return page_main(html).replace(name, "NAME")


def test_a_real_and_an_unknown_name_get_the_same_status_and_page_at_every_step(
    quick: Container,
) -> None:
    make_staff(quick, "ann", Role.BMT)
    client = TestClient(create_app(quick), base_url="http://127.0.0.1:8000")

    for step, password in enumerate([WRONG] * 10 + [PASSWORD, WRONG]):
        known = sign_in(client, "ann", password)
        unknown = sign_in(client, "nobody", password)
        assert known.status_code == unknown.status_code, step
        assert _main(known.text, "ann") == _main(unknown.text, "nobody"), step
    assert known.status_code == 429
    assert "This account is locked because of too many wrong passwords" in known.text


def test_an_address_that_fails_too_often_is_told_when_to_come_back(quick: Container) -> None:
    make_staff(quick, "ann", Role.BMT)
    client = TestClient(create_app(quick), base_url="http://127.0.0.1:8000")
    for n in range(30):
        assert sign_in(client, f"guess{n}", WRONG).status_code == 400

    refused = sign_in(client, "ann", PASSWORD)

    assert refused.status_code == 429
    assert "There have been too many attempts to sign in from your network" in refused.text
    assert "Try again after Thursday 1 April 2027 at 10:45" in refused.text
    assert "session" not in client.cookies


def _snapshot(container: Container) -> dict[str, list[tuple[object, ...]]]:
    with container.engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        return {
            table: sorted(
                map(tuple, connection.execute(text(f'SELECT * FROM "{table}"')).all()),  # noqa: S608
                key=repr,
            )
            for table in tables
            if table not in _CHANGEABLE
        }


_ANY_TEXT = st.one_of(
    st.text(max_size=80),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "So"]), max_size=40),
    st.just(""),
    st.integers(min_value=1, max_value=20_000).map(lambda n: "x" * n),
)


def test_any_username_and_password_get_a_page_and_change_nothing_else(
    quick: Container,
) -> None:
    make_staff(quick, "ann", Role.BMT)
    generous = dataclasses.replace(quick.settings, sign_in_address_attempts=10_000)
    container = Container(generous, clock=quick.clock)
    client = TestClient(create_app(container), base_url="http://127.0.0.1:8000")
    token = sign_in_form(client)
    before = _snapshot(container)
    with container.uow() as uow:
        user = uow.accounts.user_named("ann")
        assert user is not None
        ann_before = (user.password_hash, user.session_epoch, user.active)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(username=_ANY_TEXT, password=_ANY_TEXT)
    def post(username: str, password: str) -> None:
        form = {"csrf_token": token, "username": username, "password": password}
        response = client.post("/sign-in", data=form, follow_redirects=False)
        assert "Traceback" not in response.text
        if response.status_code == 413:  # a field over max_form_field_chars: never checked
            assert "too long" in response.text
            return
        assert response.status_code in {400, 429}, response.status_code
        assert csrf_field(response.text)

    post()
    container.close()

    assert _snapshot(quick) == before
    with quick.uow() as uow:
        user = uow.accounts.user_named("ann")
        assert user is not None
        assert (user.password_hash, user.session_epoch, user.active) == ann_before
