"""Property: every staff form answers any input with a page, never a 5xx or a
traceback, and a refusal changes nothing (public forms: ``test_form_properties``)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import given
from hypothesis import strategies as st

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.services.incidents.reports import record_report
from tests.integration.web.links import csrf_for, make_ack_link, set_password_link
from tests.integration.web.properties import FORMS, assert_handled, counts, free_text
from tests.integration.web.staff import signed_in_client
from tests.support.staff import add_account, list_users

TRIAGE = "/security/incidents"
PROFORMA = {
    "provider": "PRV001",
    "change-date-day": "29",
    "change-date-month": "3",
    "change-date-year": "2027",
    "reason": "other",
    "details": "A laptop was lost.",
}


def _send(client: TestClient, container: Container, path: str, data: dict[str, str]) -> Response:
    """Send the form to ``path`` with its CSRF field; check the answer; return it."""
    before = counts(container)
    response = client.post(
        path, data={**data, "csrf_token": csrf_for(client, path)}, follow_redirects=False
    )
    assert_handled(response, before, counts(container))
    return response


@pytest.fixture
def reference(security: TestClient, web_container: Container) -> str:
    security.get("/staff")  # for the CSRF cookie
    with web_container.transaction() as uow:
        return record_report(
            uow,
            web_container.mailroom,
            provider_ref="PRV001",
            change_date="2027-03-29",
            reason="dismissed",
            details="Team leader dismissed; knew the code.",
            actor="cli:sec",
            source="cli",
            now=web_container.now(),
        ).reference


@FORMS
@given(
    typed=st.dictionaries(st.sampled_from(sorted(PROFORMA)), free_text(), max_size=3),
    note=free_text(),
    decision=st.sampled_from(["reissue", "no-change"]) | free_text(),
    reason=free_text(),
)
def test_the_triage_forms(
    security: TestClient,
    web_container: Container,
    reference: str,
    typed: dict[str, str],
    note: str,
    decision: str,
    reason: str,
) -> None:
    """Entering a proforma, assessing and deciding (a reissue at most once)."""
    _send(security, web_container, f"{TRIAGE}/new", {**PROFORMA, **typed})
    _send(security, web_container, f"{TRIAGE}/{reference}/assess", {"note": note})
    decide = f"{TRIAGE}/{reference}/decide"
    _send(security, web_container, decide, {"decision": decision, "reason": reason})


@FORMS
@given(reason=free_text(), shown=st.lists(free_text(), max_size=3))
def test_the_reissue_form(
    security: TestClient, web_container: Container, reason: str, shown: list[str]
) -> None:
    """The confirmation lists the codes it replaces: any other list replaces none."""
    security.get("/staff")
    path = "/security/helpline/reissue/PRV001"
    before = counts(web_container)
    response = security.post(
        path,
        data={"reason": reason, "shown": shown, "csrf_token": csrf_for(security, path)},
        follow_redirects=False,
    )
    assert_handled(response, before, counts(web_container))


@pytest.fixture
def bmt(client: TestClient, web_container: Container) -> tuple[TestClient, int]:
    """A member of the BMT, signed in, and a delivery of cycle 2027-04."""
    delivery = make_ack_link(web_container).delivery_id
    signed_in_client(client, web_container, Role.BMT)
    client.get("/staff")
    return client, delivery


@FORMS
@given(
    seen=st.sampled_from(["0", "1"]) | free_text(),
    checked=free_text().filter(lambda text: text != "yes"),  # "yes" starts a rotation
    cycle=st.sampled_from(["2027-04"]) | free_text(),
    ticket=free_text(),
    shown=st.lists(st.sampled_from(["1-1", "1-2"]) | free_text(), max_size=3),
)
def test_the_dashboard_forms(
    bmt: tuple[TestClient, int],
    web_container: Container,
    seen: str,
    checked: str,
    cycle: str,
    ticket: str,
    shown: list[str],
) -> None:
    """Resends, the rotation's confirmation, the export and its download, new SPoCs."""
    client, delivery = bmt
    cycle_path = "/bmt/cycles/2027-04"
    for which in ("resend-document", "resend-unlock"):
        path = f"{cycle_path}/deliveries/{delivery}/{which}"
        _send(client, web_container, path, {"seen": seen})
    _send(client, web_container, f"{cycle_path}/rotation", {"register-checked": checked})
    _send(client, web_container, "/bmt/export", {"cycle": cycle})
    _send(client, web_container, "/bmt/export/download", {"ticket": ticket})
    path = f"{cycle_path}/new-spocs"
    before = counts(web_container)
    response = client.post(
        path, data={"shown": shown, "csrf_token": csrf_for(client, path)}, follow_redirects=False
    )
    assert_handled(response, before, counts(web_container))


@FORMS
@given(
    subject=free_text(),
    text=free_text(),
    key=st.sampled_from(["0123456789abcdef" * 2]) | free_text(),
)
def test_the_notice_forms(
    bmt: tuple[TestClient, int], web_container: Container, subject: str, text: str, key: str
) -> None:
    """A notice to every SPoC: its preview, going back to change it, and sending it."""
    client, _ = bmt
    typed = {"subject": subject, "text": text}
    _send(client, web_container, "/bmt/notices/preview", typed)
    _send(client, web_container, "/bmt/notices/new", typed)
    _send(client, web_container, "/bmt/notices", {**typed, "key": key})


@FORMS
@given(
    username=free_text(),
    display_name=free_text(),
    email=st.sampled_from(["dee@example.org"]) | free_text(),
    role=st.sampled_from([role.value for role in Role]) | free_text(),
)
def test_the_account_forms(
    client: TestClient,
    web_container: Container,
    username: str,
    display_name: str,
    email: str,
    role: str,
) -> None:
    """An admin's forms: a new account, and each action on an account."""
    if "admin.user" not in {view.name for view in list_users(web_container)}:
        signed_in_client(client, web_container, Role.ADMIN)
        client.get("/staff")
    typed = {"username": username, "display_name": display_name, "email": email, "role": role}
    _send(client, web_container, "/admin/accounts/new", typed)
    page = "/admin/accounts/admin.user"
    _send(client, web_container, f"{page}/role", {"role": role})
    for action in ("disable", "unlock", "reset"):
        _send(client, web_container, f"{page}/{action}", {"role": role})
    _send(client, web_container, f"{page}/email", {"email": email})


@FORMS
@given(current=free_text(), new=free_text(), again=free_text())
def test_the_password_forms(
    client: TestClient, web_container: Container, current: str, new: str, again: str
) -> None:
    """Your own password (the current one is never right here), and a set-password link."""
    if "agent.user" not in {view.name for view in list_users(web_container)}:
        signed_in_client(client, web_container, Role.AGENT)
        client.get("/staff")
        add_account(
            web_container,
            "eve.new",
            role=Role.BMT,
            display_name=None,
            email="eve@example.org",
            actor="test",
            source="test",
        )
    typed = {"current_password": current, "new_password": new, "new_password_again": again}
    _send(client, web_container, "/staff/password", typed)
    link = set_password_link(web_container, "eve@example.org")
    _send(client, web_container, link, {"password": new, "password_again": again})
