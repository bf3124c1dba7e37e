"""Reissuing a code from the security team's exposure table: a reason, a confirmation,
once however often the form is sent."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.services.helpline import code_in_force
from tests.integration.web.helpline_world import (
    DURING_APRIL,
    HelplineWorld,
    audit_details,
)
from tests.integration.web.links import csrf_field, csrf_for, outbox_rows
from tests.integration.web.staff import make_staff, sign_in

PAGE = "/security/helpline"
REISSUE = PAGE + "/reissue/PRV001"
REASON = "Seven of its eight characters have been spoken on calls this month."


def _form(page: str, reason: str = REASON) -> dict[str, object]:
    return {
        "csrf_token": csrf_field(page),
        "reason": reason,
        "shown": re.findall(r'name="shown" value="([^"]+)"', page),
    }


def _document_ref(world: HelplineWorld, ref: str = "PRV001") -> str:
    with world.container.uow() as uow:
        provider = uow.register.get_provider(ref)
        assert provider is not None
        code = code_in_force(uow, provider.id, DURING_APRIL)
        assert code is not None
        return code.document_ref


def test_the_exposure_table_links_to_the_reissue(security: TestClient) -> None:
    page = security.get(PAGE).text
    assert f'href="{REISSUE}"' in page


def test_the_confirmation_lists_the_codes_and_changes_nothing(
    security: TestClient, world: HelplineWorld
) -> None:
    before = _document_ref(world)

    page = security.get(REISSUE)

    assert page.status_code == 200
    assert "Reissue the code of Northfield Employment Ltd?" in page.text
    assert before in page.text and "In force" in page.text
    assert _document_ref(world) == before
    assert outbox_rows(world.container) == []


def test_reissuing_replaces_the_code_once(security: TestClient, world: HelplineWorld) -> None:
    old_code, old_ref = world.code(), _document_ref(world)
    page = security.get(REISSUE).text

    first = security.post(REISSUE, data=_form(page), follow_redirects=False)
    again = security.post(REISSUE, data=_form(page), follow_redirects=False)

    assert first.headers["location"] == f"{PAGE}?reissued=PRV001&cancelled=0"
    assert again.headers["location"] == f"{PAGE}?already=PRV001"
    assert _document_ref(world) != old_ref and world.code() != old_code
    documents = [
        to for _, to, kind in outbox_rows(world.container) if kind == "access-code-document"
    ]
    assert documents == ["ann.lee@example.org"]  # PRV001's one SPoC, once
    done = security.get(first.headers["location"]).text
    assert "The code of Northfield Employment Ltd is reissued" in done
    assert "0 unsent emails of the old code were cancelled." in done
    assert (
        "had already been replaced: nothing more was done"
        in security.get(again.headers["location"]).text
    )
    reissues = audit_details(world.container, "code:access:reissue")
    assert len(reissues) == 1 and reissues[0]["actor"] == "user:security.user"


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter why the code is being reissued"),
        ("Ask bob.smith@example.org about it", "remove the email address"),
    ],
)
def test_a_reason_is_required_and_kept_when_refused(
    security: TestClient, world: HelplineWorld, reason: str, message: str
) -> None:
    before = _document_ref(world)
    page = security.get(REISSUE).text

    refused = security.post(REISSUE, data=_form(page, reason), follow_redirects=False)

    assert refused.status_code == 422
    assert message in refused.text and "There is a problem" in refused.text
    if reason:
        assert "Ask bob.smith@example.org about it</textarea>" in refused.text
    assert _document_ref(world) == before
    assert outbox_rows(world.container) == []


def test_unknown_inactive_and_subcontractor_refs_are_refused(security: TestClient) -> None:
    assert security.get(PAGE + "/reissue/NOPE999").status_code == 404
    assert security.get(PAGE + "/reissue/PRV003").status_code == 409  # no longer active
    sub = security.get(PAGE + "/reissue/SUB101")
    assert sub.status_code == 409 and "reissue PRV001" in sub.text


def test_other_roles_cannot_reissue(
    client: TestClient, web_container: Container, world: HelplineWorld
) -> None:
    make_staff(web_container, "bmt.user", Role.BMT)
    assert sign_in(client, "bmt.user").status_code == 303
    client.get("/staff")
    token = csrf_for(client, REISSUE)

    assert client.get(REISSUE).status_code == 403
    refused = client.post(REISSUE, data={"csrf_token": token, "reason": REASON})
    assert refused.status_code == 403
    assert outbox_rows(world.container) == []


def test_a_reason_over_its_limit_is_refused_naming_the_field(
    security: TestClient, world: HelplineWorld
) -> None:
    before = _document_ref(world)
    page = security.get(REISSUE).text

    refused = security.post(REISSUE, data=_form(page, "x" * 5001), follow_redirects=False)

    assert refused.status_code == 422
    assert "Reason: String should have at most 5000 characters." in refused.text
    assert "x" * 50 not in refused.text
    assert _document_ref(world) == before
    assert outbox_rows(world.container) == []
