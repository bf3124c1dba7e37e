"""Staff accounts to sign in with, and signing in the way a browser does."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.storage.models import AuditRecord
from tests.integration.web.links import csrf_field
from tests.support.second_factor import next_code, seed_factor
from tests.support.staff import add_user, create_token

SECOND_STEP = "/sign-in/second-factor"
RECOVERY = "/sign-in/recovery-code"
SET_UP = "/sign-in/set-up"

# Passwords that pass the policy: every test account starts with the first.
PASSWORD = "vivid otter lamp sky 2027"  # noqa: S105
NEW_PASSWORD = "amber kettle north tide 9"  # noqa: S105


def make_staff(
    container: Container, name: str, role: Role | str, *, display_name: str | None = None
) -> str:
    add_user(
        container,
        name,
        role=Role(role),
        password=PASSWORD,
        display_name=display_name,
        actor="test",
        source="test",
    )
    seed_factor(container, name)
    return name


def make_token(container: Container, name: str, role: Role | str) -> str:
    return create_token(container, name, role=Role(role), actor="test", source="test").token


def sign_in_form(client: TestClient, path: str = "/sign-in") -> str:
    """The CSRF field of the sign-in page (and its cookie, now in the client)."""
    page = client.get(path, follow_redirects=False)
    assert page.status_code == 200, page.status_code
    return csrf_field(page.text)


def sign_in(
    client: TestClient, name: str, password: str = PASSWORD, *, next_path: str | None = None
) -> Any:
    """Open the sign-in page and send the form, then the second step with the account's
    next code (see ``tests.support.second_factor``); the last response is not followed.

    A refused password is that response; an account with no second factor stops at
    the redirect to setting one up."""
    data = {"csrf_token": sign_in_form(client), "username": name, "password": password}
    if next_path is not None:
        data["next"] = next_path
    response = client.post("/sign-in", data=data, follow_redirects=False)
    if response.status_code != 303 or response.headers["location"] != SECOND_STEP:
        return response
    return second_step(client, name)


def second_step(client: TestClient, name: str) -> Any:
    """Send the account's next code (or a recovery code) at the second step."""
    container = client.app.state.container  # type: ignore[attr-defined]
    kind, code = next_code(container, name)
    path = SECOND_STEP if kind == "code" else RECOVERY
    page = client.get(path, follow_redirects=False)
    assert page.status_code == 200, page.status_code
    data = {"csrf_token": csrf_field(page.text), "code": code}
    return client.post(path, data=data, follow_redirects=False)


def signed_in_client(client: TestClient, container: Container, role: Role | str) -> TestClient:
    name = make_staff(container, f"{Role(role).value}.user", role)
    response = sign_in(client, name)
    assert response.status_code == 303, response.text
    return client


def audit_actions(container: Container, prefix: str = "") -> list[tuple[str, str, dict[str, Any]]]:
    """(action, actor, details) of every audit record whose action starts with ``prefix``."""
    import json

    with container.uow() as uow:
        rows = uow.session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
        return [
            (row.action, row.actor, json.loads(row.details))
            for row in rows
            if row.action.startswith(prefix)
        ]


def page_main(html: str) -> str:
    """The page's ``<main>``, its CSRF token left out: pages compared as text."""
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r'name="csrf_token" value="[^"]+"', "", main)


def session_cookie(response: Any) -> str:
    """The one ``session`` cookie ``response`` sets."""
    headers = response.headers.get_list("set-cookie")
    cookies = [h for h in headers if h.startswith("session=")]
    assert len(cookies) == 1, headers
    return str(cookies[0])
