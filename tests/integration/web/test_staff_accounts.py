"""Staff accounts in the browser: your own password and sign-ins; an admin adds,
changes, disables, unlocks and resets accounts; set-password links by email."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.integration.web.links import csrf_for, set_password_link
from tests.integration.web.properties import counts
from tests.integration.web.staff import (
    NEW_PASSWORD,
    PASSWORD,
    audit_actions,
    make_staff,
    sign_in,
    signed_in_client,
)
from tests.support.clock import Clock
from tests.support.staff import get_user

ACCOUNTS = "/admin/accounts"
CHOSEN = "quiet harbour lantern 48"  # noqa: S105
WRONG = "not my password at all"  # noqa: S105
WEAK = "password1234"  # noqa: S105


def _post(client: TestClient, path: str, **data: str) -> Response:
    form = {**data, "csrf_token": csrf_for(client, path)}
    response: Response = client.post(path, data=form, follow_redirects=False)
    return response


def test_a_member_of_staff_changes_their_password_and_sees_their_sign_ins(
    client: TestClient, web_container: Container
) -> None:
    signed_in_client(client, web_container, Role.AGENT)
    page = client.get("/staff")
    assert "Your recent sign-ins" in page.text and "Signed in" in page.text
    assert "testclient" in page.text  # the address the sign-in came from

    before = counts(web_container)
    wrong = _post(
        client,
        "/staff/password",
        current_password=WRONG,
        new_password=NEW_PASSWORD,
        new_password_again=NEW_PASSWORD,
    )
    assert wrong.status_code == 422
    assert 'id="current_password-error"' in wrong.text
    weak = _post(
        client,
        "/staff/password",
        current_password=PASSWORD,
        new_password=WEAK,
        new_password_again=WEAK,
    )
    assert weak.status_code == 422
    assert 'id="new_password-error"' in weak.text
    assert counts(web_container) == before

    done = _post(
        client,
        "/staff/password",
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        new_password_again=NEW_PASSWORD,
    )
    assert done.status_code == 303
    assert "Your password has been changed" in client.get("/staff?password=changed").text
    assert audit_actions(web_container, "staff:user:change_password") == [
        ("staff:user:change_password", "user:agent.user", {"username": "agent.user"})
    ]
    other = TestClient(client.app, base_url="http://127.0.0.1:8000")
    assert sign_in(other, "agent.user").status_code != 303
    assert sign_in(other, "agent.user", NEW_PASSWORD).status_code == 303


def test_an_admin_adds_an_account_and_the_person_sets_their_password(
    client: TestClient, web_container: Container, clock: Clock
) -> None:
    signed_in_client(client, web_container, Role.ADMIN)
    before = counts(web_container)
    bad = _post(client, ACCOUNTS + "/new", username="ann.lee", email="not an address", role="bmt")
    assert bad.status_code == 422
    assert 'id="email-error"' in bad.text
    assert counts(web_container) == before

    added = _post(
        client,
        ACCOUNTS + "/new",
        username="Ann.Lee",
        display_name="Ann Lee",
        email="ann.lee@example.gov.uk",
        role="bmt",
    )
    assert added.headers["location"] == ACCOUNTS + "/ann.lee?done=added"
    again = _post(client, ACCOUNTS + "/new", username="ann.lee", email="a@example.org", role="bmt")
    assert again.status_code == 409

    link = set_password_link(web_container, "ann.lee@example.gov.uk")
    person = TestClient(client.app, base_url="http://127.0.0.1:8000")
    assert "ann.lee" in person.get(link).text
    mismatch = _post(person, link, password=CHOSEN, password_again=CHOSEN + "x")
    assert mismatch.status_code == 422
    assert _post(person, link, password=CHOSEN, password_again=CHOSEN).status_code == 200
    used = person.get(link)
    assert used.status_code == 410 and "already been used" in used.text
    assert sign_in(person, "ann.lee", CHOSEN).status_code == 303

    actions = [(a, actor) for a, actor, _ in audit_actions(web_container, "staff:user")]
    assert actions[-3:] == [
        ("staff:user:create", "user:admin.user"),
        ("staff:user:password_link", "user:admin.user"),
        ("staff:user:set_password", "user:ann.lee"),
    ]


def test_an_expired_link_is_refused_with_a_helpful_page(
    client: TestClient, web_container: Container, clock: Clock
) -> None:
    signed_in_client(client, web_container, Role.ADMIN)
    _post(client, ACCOUNTS + "/new", username="bo", email="bo@example.org", role="agent")
    link = set_password_link(web_container, "bo@example.org")
    clock.now += timedelta(hours=24, seconds=1)
    before = counts(web_container)
    page = client.get(link)
    assert page.status_code == 410 and "This link has expired" in page.text
    assert "ask an administrator" in page.text
    sent = _post(client, link, password=CHOSEN, password_again=CHOSEN)
    assert sent.status_code == 410
    assert counts(web_container) == before


def test_an_admin_changes_disables_unlocks_and_resets_an_account(
    client: TestClient, web_container: Container
) -> None:
    signed_in_client(client, web_container, Role.ADMIN)
    _post(client, ACCOUNTS + "/new", username="cy", email="cy@example.org", role="agent")
    first = set_password_link(web_container, "cy@example.org")
    page = ACCOUNTS + "/cy"

    assert _post(client, page + "/role", role="security").status_code == 303
    assert get_user(web_container, "cy").role == "security"
    assert _post(client, page + "/role", role="boss").status_code == 422
    bad_email = _post(client, page + "/email", email="cy at example")
    assert bad_email.status_code == 422 and 'id="email-error"' in bad_email.text
    assert _post(client, page + "/email", email="cy.new@example.org").status_code == 303
    assert get_user(web_container, "cy").email == "cy.new@example.org"
    assert _post(client, page + "/disable").status_code == 303
    assert not get_user(web_container, "cy").active
    assert _post(client, page + "/reset").status_code == 409
    assert _post(client, page + "/enable").status_code == 303
    unlocked = _post(client, page + "/unlock")
    assert unlocked.headers["location"].endswith("?done=not-locked")
    assert _post(client, page + "/reset").status_code == 303
    second = set_password_link(web_container, "cy.new@example.org")
    assert second != first
    replaced = client.get(first)
    assert replaced.status_code == 410 and "newer link" in replaced.text
    assert client.get(second).status_code == 200

    details = [d for _, _, d in audit_actions(web_container, "staff:")]
    assert all("password" not in key for d in details for key in d if key != "username")
    assert (
        "staff:user:role",
        {"username": "cy", "role": "security", "previous_role": "agent"},
    ) in [(a, d) for a, _, d in audit_actions(web_container, "staff:user:role")]


def test_the_last_active_admin_cannot_be_disabled_or_demoted(
    client: TestClient, web_container: Container
) -> None:
    signed_in_client(client, web_container, Role.ADMIN)
    make_staff(web_container, "old.admin", Role.ADMIN)
    page = ACCOUNTS + "/old.admin"
    assert _post(client, page + "/disable").status_code == 303

    before = counts(web_container)
    mine = ACCOUNTS + "/admin.user"
    refused = _post(client, mine + "/disable")
    assert refused.status_code == 409
    assert "last active administrator" in refused.text
    assert 'id="state"' in refused.text
    demoted = _post(client, mine + "/role", role="bmt")
    assert demoted.status_code == 409
    assert "last active administrator" in demoted.text
    assert counts(web_container) == before
    assert get_user(web_container, "admin.user").role == "admin"


def test_an_admin_unlocks_a_locked_account(client: TestClient, web_container: Container) -> None:
    signed_in_client(client, web_container, Role.ADMIN)
    make_staff(web_container, "dee", Role.AGENT)
    with web_container.uow() as uow:
        user = uow.accounts.user_named("dee")
        assert user is not None
        user.failed_attempts, user.locked_until = 10, web_container.now() + timedelta(hours=1)
        uow.commit()
    assert "locked after wrong passwords" in client.get(ACCOUNTS + "/dee").text

    unlocked = _post(client, ACCOUNTS + "/dee/unlock")

    assert unlocked.headers["location"].endswith("?done=unlocked")
    assert get_user(web_container, "dee").locked_until is None
    assert ("staff:account:unlock", "user:admin.user", {"username": "dee", "was_locked": True}) in (
        audit_actions(web_container, "staff:account:unlock")
    )
    assert (
        sign_in(TestClient(client.app, base_url="http://127.0.0.1:8000"), "dee").status_code == 303
    )
