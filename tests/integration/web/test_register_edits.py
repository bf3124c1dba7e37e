"""Single changes to the register in the browser: rename, deactivate, SPoCs."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.domain.register_edits import InvalidEdit
from codeservice.services.register import edits
from codeservice.storage.models import Provider, Spoc
from tests.integration.web.links import csrf_field_of_form, make_ack_link
from tests.integration.web.staff import audit_actions, signed_in_client
from tests.support.register import import_register

PAGE = "/bmt/register/PRV001"
REGISTER = (
    "ref,name,prime_ref,spoc_name,spoc_email\n"
    "PRV001,Northfield Ltd,,Ann Lee,ann.lee@example.org\n"
    "SUB001,Eastway CIC,PRV001,,\n"
)


@pytest.fixture
def bmt(client: TestClient, web_container: Container) -> TestClient:
    import_register(web_container, REGISTER.encode(), "register.csv", actor="test")
    return signed_in_client(client, web_container, Role.BMT)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _post(client: TestClient, action: str, **fields: str) -> Any:
    page = client.get(PAGE)
    data = {"csrf_token": csrf_field_of_form(page.text, action), **fields}
    return client.post(action, data=data, follow_redirects=False)


def _state(container: Container) -> list[tuple[Any, ...]]:
    with container.uow() as uow:
        providers = [(p.ref, p.name, p.active) for p in uow.session.scalars(select(Provider))]
        spocs = [(s.email, s.name, s.active) for s in uow.session.scalars(select(Spoc))]
    return sorted(providers) + sorted(spocs)


def test_rename_and_deactivate_a_provider(bmt: TestClient, web_container: Container) -> None:
    renamed = _post(bmt, PAGE + "/name", name="  Northfield Group Ltd ")
    assert renamed.status_code == 303
    shown = bmt.get(renamed.headers["location"])
    assert "The provider's name is changed." in _text(shown.text)
    assert ("PRV001", "Northfield Group Ltd", True) in _state(web_container)
    assert _post(bmt, PAGE + "/active", active="no").status_code == 303
    assert ("PRV001", "Northfield Group Ltd", False) in _state(web_container)
    assert _post(bmt, PAGE + "/active", active="no").status_code == 303  # already so
    assert _post(bmt, PAGE + "/active", active="yes").status_code == 303
    actions = [(a, d["changed"]) for a, _, d in audit_actions(web_container, "register:provider")]
    assert actions == [
        ("register:provider:update", "renamed"),
        ("register:provider:deactivate", "deactivated"),
        ("register:provider:update", "reactivated"),
    ]
    history = _text(bmt.get(PAGE).text)
    assert "renamed; name: Northfield Group Ltd" in history


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the provider's name"),
        ({"name": "North\x00field"}, "name", "The provider's name"),
        ({"name": "N" * 256}, "name", "must be 255 characters or fewer"),
    ],
    ids=["empty", "control-character", "too-long"],
)
def test_a_bad_name_is_shown_against_its_field(
    bmt: TestClient, web_container: Container, fields: dict[str, str], field: str, message: str
) -> None:
    before = _state(web_container)
    answer = _post(bmt, PAGE + "/name", **fields)
    assert answer.status_code == 422
    assert f'href="#{field}"' in answer.text and message in _text(answer.text)
    assert _state(web_container) == before


def test_add_deactivate_and_reactivate_a_spoc(bmt: TestClient, web_container: Container) -> None:
    bad = _post(bmt, PAGE + "/spocs", spoc_name="Cat Diaz", spoc_email="not-an-address")
    assert bad.status_code == 422 and 'href="#spoc_email"' in bad.text
    taken = _post(bmt, PAGE + "/spocs", spoc_name="Ann", spoc_email="ANN.LEE@example.org")
    assert taken.status_code == 422 and "already a SPoC of PRV001" in _text(taken.text)
    added = _post(bmt, PAGE + "/spocs", spoc_name="Cat Diaz", spoc_email="cat.diaz@example.org")
    assert added.status_code == 303
    assert ("cat.diaz@example.org", "Cat Diaz", True) in _state(web_container)
    with web_container.uow() as uow:
        spoc_id = uow.session.scalar(select(Spoc.id).where(Spoc.email == "cat.diaz@example.org"))
    action = f"{PAGE}/spocs/{spoc_id}/active"
    assert _post(bmt, action, active="no").status_code == 303
    assert ("cat.diaz@example.org", "Cat Diaz", False) in _state(web_container)
    again = _post(bmt, PAGE + "/spocs", spoc_name="Cat Diaz", spoc_email="cat.diaz@example.org")
    assert again.status_code == 303  # the same address, inactive: reactivated, not doubled
    assert _state(web_container).count(("cat.diaz@example.org", "Cat Diaz", True)) == 1
    actions = [(a, d["changed"]) for a, _, d in audit_actions(web_container, "register:spoc")]
    assert actions == [
        ("register:spoc:create", "SPoC added"),
        ("register:spoc:deactivate", "SPoC deactivated"),
        ("register:spoc:update", "SPoC reactivated"),
    ]
    assert "SPoC added: Cat Diaz" in _text(bmt.get(PAGE).text)
    # A subcontractor has no SPoCs of its own.
    sub = bmt.get("/bmt/register/SUB001")
    assert 'action="/bmt/register/SUB001/spocs"' not in sub.text


def test_a_spoc_added_twice_by_a_double_click_is_added_once_without_an_error(
    bmt: TestClient, web_container: Container
) -> None:
    action = PAGE + "/spocs"
    page = bmt.get(PAGE)
    data = {
        "csrf_token": csrf_field_of_form(page.text, action),
        "spoc_name": "Cat Diaz",
        "spoc_email": "cat.diaz@example.org",
    }
    first = bmt.post(action, data=data, follow_redirects=False)
    again = bmt.post(action, data=data, follow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert _state(web_container).count(("cat.diaz@example.org", "Cat Diaz", True)) == 1
    assert len(audit_actions(web_container, "register:spoc:create")) == 1


def test_a_spoc_added_after_issue_day_is_offered_the_codes(
    bmt: TestClient, web_container: Container
) -> None:
    make_ack_link(web_container, spoc_name="Bo Ng", spoc_email="bo.ng@example.org")
    added = _post(bmt, PAGE + "/spocs", spoc_name="Cat Diaz", spoc_email="cat.diaz@example.org")
    page = bmt.get(added.headers["location"])
    assert 'href="/bmt/cycles/2027-04/new-spocs"' in page.text
    assert "has not had the codes in use" in _text(page.text)
    offered = _text(bmt.get("/bmt/cycles/2027-04/new-spocs").text)
    assert "cat.diaz@example.org" in offered and "bo.ng@example.org" not in offered


def test_a_preview_made_before_a_single_change_is_stale(
    bmt: TestClient, web_container: Container
) -> None:
    form = bmt.get("/bmt/register/upload")
    fields = {"csrf_token": csrf_field_of_form(form.text, "/bmt/register/upload")}
    preview = bmt.post(
        "/bmt/register/upload",
        data=fields,
        files={"file": ("register.csv", REGISTER.replace("Ann Lee", "Ann Li").encode())},
    )
    assert preview.status_code == 200
    assert _post(bmt, PAGE + "/name", name="Northfield Group Ltd").status_code == 303
    key = re.search(r'name="key" value="([0-9a-f]{32})"', preview.text)
    assert key
    apply = {"csrf_token": csrf_field_of_form(preview.text, "/bmt/register/apply")}
    refused = bmt.post("/bmt/register/apply", data={**apply, "key": key.group(1)})
    assert refused.status_code == 409
    assert ("ann.lee@example.org", "Ann Lee", True) in _state(web_container)


def test_every_register_form_needs_its_own_csrf_field(
    bmt: TestClient, web_container: Container
) -> None:
    before = _state(web_container)
    forms = {
        PAGE + "/name": {"name": "Taken Over Ltd"},
        PAGE + "/active": {"active": "no"},
        PAGE + "/spocs": {"spoc_name": "Eve", "spoc_email": "eve@example.org"},
        PAGE + "/spocs/1/active": {"active": "no"},
        PAGE + "/security-plan": {
            "received-day": "1",
            "received-month": "3",
            "received-year": "2027",
        },
        "/bmt/register/apply": {"key": "0" * 32},
    }
    from_rename = csrf_field_of_form(bmt.get(PAGE).text, PAGE + "/name")
    for action, fields in forms.items():
        assert bmt.post(action, data=fields).status_code == 400, action
        if action != PAGE + "/name":  # a field is good for its own form only
            answer = bmt.post(action, data={**fields, "csrf_token": from_rename})
            assert answer.status_code == 400, action
    assert _state(web_container) == before
    assert audit_actions(web_container, "register:provider") == []


def _plan(container: Container) -> tuple[Any, ...]:
    with container.uow() as uow:
        provider = uow.register.get_provider("PRV001")
        assert provider is not None
        plan = provider.security_plan
    return (plan.received_on, plan.approved_on, plan.changed_on)


def _dates(**typed: str) -> dict[str, str]:
    """``received="1 3 2027"`` as the three fields of a GOV.UK date input."""
    fields = {}
    for field, value in typed.items():
        for part, number in zip(("day", "month", "year"), value.split(" "), strict=True):
            fields[f"{field}-{part}"] = number
    return fields


def test_the_security_plan_dates_are_recorded_and_audited(
    bmt: TestClient, web_container: Container
) -> None:
    action = PAGE + "/security-plan"
    saved = _post(bmt, action, **_dates(received="1 3 2027", approved="15 3 2027"))
    assert saved.status_code == 303
    shown = _text(bmt.get(saved.headers["location"]).text)
    assert "The security plan's dates are recorded." in shown
    assert "approved 2027-03-15" in shown
    assert _plan(web_container) == (date(2027, 3, 1), date(2027, 3, 15), None)
    again = _post(bmt, action, **_dates(received="1 3 2027", approved="15 3 2027"))
    assert again.status_code == 303  # the same dates again: nothing recorded
    changes = [d["changed"] for _, _, d in audit_actions(web_container, "register:provider")]
    assert changes == ["security plan: approved 2027-03-15"]


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"received": "2 4 2027"}, "received", "must be today or in the past"),
        (
            {"received": "10 3 2027", "approved": "9 3 2027"},
            "approved",
            "The date the plan was approved must be the same as or after the date the plan "
            "was received",
        ),
        ({"approved": "9 3 2027"}, "received", "Enter the date the plan was received"),
        ({"changed": "31 2 2027", "received": "1 1 2027"}, "changed", "must be a real date"),
    ],
    ids=["future", "approved-before-received", "no-received", "not-a-date"],
)
def test_a_bad_security_plan_date_is_named_and_changes_nothing(
    bmt: TestClient, web_container: Container, typed: dict[str, str], field: str, message: str
) -> None:
    before = _plan(web_container)
    answer = _post(bmt, PAGE + "/security-plan", **_dates(**typed))
    assert answer.status_code == 422
    assert message in _text(answer.text)
    assert f'href="#{field}-day"' in answer.text
    assert f'id="{field}-error"' in answer.text
    assert _plan(web_container) == before
    assert audit_actions(web_container, "register:provider") == []


def test_a_subcontractor_has_no_security_plan_of_its_own(
    bmt: TestClient, web_container: Container
) -> None:
    assert "/security-plan" not in bmt.get("/bmt/register/SUB001").text
    parts = {"received": ("1", "3", "2027")}
    with pytest.raises(InvalidEdit) as refused, web_container.transaction() as uow:
        edits.set_security_plan(
            uow,
            web_container.keyring,
            "SUB001",
            parts,
            tz=web_container.settings.tz,
            actor="test",
            source="test",
            now=web_container.now(),
        )
    assert refused.value.errors == {
        "plan": "A subcontractor is covered by its prime provider's security plan"
    }
    assert audit_actions(web_container, "register:provider") == []
