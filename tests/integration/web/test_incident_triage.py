"""The security team's triage pages at ``/security/incidents``, over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.services.incidents.reports import record_report
from codeservice.storage.models import AccessCode
from tests.integration.web.links import (
    csrf_field_of_form,
    csrf_for,
    make_ack_link,
    outbox_rows,
)
from tests.integration.web.staff import audit_actions, signed_in_client
from tests.support.clock import Clock

TRIAGE = "/security/incidents"
PROFORMA = {  # a proforma received by email, as the security team enters it
    "provider": "PRV001",
    "change-date-day": "29",
    "change-date-month": "3",
    "change-date-year": "2027",
    "reason": "suspected-fraud",
    "details": "Unusual calls",
}


def a_report(
    container: Container,
    details: str = "Team leader dismissed; knew the code.",
    *,
    actor: str = "cli:sec",
    source: str = "cli",
) -> str:
    make_ack_link(container)  # PRV001 with a SPoC and April's code, issued
    with container.transaction() as uow:
        return record_report(
            uow,
            container.mailroom,
            provider_ref="PRV001",
            change_date="2027-03-29",
            reason="dismissed",
            details=details,
            actor=actor,
            source=source,
            now=container.now(),
        ).reference


def post_form(client: TestClient, page_path: str, action: str, **fields: str) -> Response:
    page = client.get(page_path)
    assert page.status_code == 200
    response: Response = client.post(
        action,
        data={**fields, "csrf_token": csrf_field_of_form(page.text, action)},
        follow_redirects=False,
    )
    return response


@pytest.mark.parametrize("role", [Role.BMT, Role.AGENT, Role.ADMIN])
def test_only_the_security_team_sees_the_reports(
    web_container: Container, client: TestClient, role: Role
) -> None:
    assert client.get(TRIAGE, follow_redirects=False).status_code == 302
    signed_in_client(client, web_container, role)
    assert client.get(TRIAGE).status_code == 403


def test_the_list_shows_waiting_reports_and_how_long_they_have_waited(
    web_container: Container, client: TestClient, clock: Clock
) -> None:
    reference = a_report(web_container)
    clock.now += timedelta(hours=3, minutes=5)
    signed_in_client(client, web_container, Role.SECURITY)
    page = client.get(TRIAGE)
    assert page.status_code == 200
    assert reference in page.text and "Northfield Ltd (PRV001)" in page.text
    assert "3 hours 5 minutes" in page.text
    assert "Incident reports" in page.text


def test_assess_then_decide_reissue_from_the_report_page(
    web_container: Container, client: TestClient, clock: Clock
) -> None:
    reference = a_report(web_container)
    signed_in_client(client, web_container, Role.SECURITY)
    path = f"{TRIAGE}/{reference}"
    page = client.get(path)
    assert "Team leader dismissed; knew the code." in page.text
    assert "Mark as assessed" in page.text and "Record the decision" in page.text

    assessed = post_form(client, path, f"{path}/assess", note="Role had the code")
    assert assessed.status_code == 303
    page = client.get(assessed.headers["location"])
    assert "is assessed" in page.text and "Role had the code" in page.text
    assert "Mark as assessed" not in page.text

    missing = post_form(client, path, f"{path}/decide", decision="reissue", reason="")
    assert missing.status_code == 422
    assert "Enter the reason for the decision" in missing.text
    assert 'value="reissue" checked' in missing.text

    clock.now += timedelta(minutes=10)
    decided = post_form(
        client, path, f"{path}/decide", decision="reissue", reason="Dismissed; code known"
    )
    assert decided.status_code == 303
    page = client.get(decided.headers["location"])
    assert "Decided: the access code is reissued. 1 code replaced" in page.text
    assert "Record the decision" not in page.text
    # The banner says how much mail of the old code the reissue stopped, when it did.
    assert "cancelled" not in page.text
    two = client.get(f"{path}?done=decided&cancelled=2").text
    assert "2 unsent emails of the old code were cancelled." in two
    one = client.get(f"{path}?done=decided&cancelled=1").text
    assert "1 unsent email of the old code was cancelled." in one
    with web_container.uow() as uow:
        states = sorted(c.state for c in uow.session.scalars(select(AccessCode)))
    assert states == ["issued", "revoked"]
    assert [row[2] for row in outbox_rows(web_container)] == [
        "incident-received",
        "access-code-document",
    ]
    actions = [a for a, actor, _ in audit_actions(web_container, "incident:")]
    assert actions == [
        "incident:report:receive",
        "incident:report:assess",
        "incident:report:decide",
    ]
    assert {actor for _, actor, _ in audit_actions(web_container, "incident:report:decide")} == {
        "user:security.user"
    }


def test_a_final_decision_cannot_be_changed_from_the_page(
    web_container: Container, client: TestClient
) -> None:
    reference = a_report(web_container)
    signed_in_client(client, web_container, Role.SECURITY)
    path = f"{TRIAGE}/{reference}"
    decided = post_form(client, path, f"{path}/decide", decision="no-change", reason="Fine")
    assert decided.status_code == 303
    client.get("/staff")  # the decided report has no form left: a token as if it had
    again = client.post(
        f"{path}/decide",
        data={
            "decision": "reissue",
            "reason": "Changed my mind",
            "csrf_token": csrf_for(client, f"{path}/decide"),
        },
    )
    assert again.status_code == 422
    assert "a decision is final" in again.text
    with web_container.uow() as uow:
        assert [c.state for c in uow.session.scalars(select(AccessCode))] == ["issued"]


def test_the_security_team_records_a_proforma_received_by_email(
    web_container: Container, client: TestClient
) -> None:
    make_ack_link(web_container)
    signed_in_client(client, web_container, Role.SECURITY)
    new = f"{TRIAGE}/new"
    fields = {**PROFORMA, "provider": "", "details": "Call them on 020 7946 0958"}
    refused = post_form(client, new, new, **fields)
    assert refused.status_code == 422
    assert "Select the prime provider" in refused.text
    for provider, message in [
        ("PRV\x00001", "The provider&#39;s ref contains a control character, U+0000"),
        ("NOBODY", "Select the prime provider"),
    ]:
        refused = post_form(client, new, new, **{**fields, "provider": provider})
        assert refused.status_code == 422
        assert message in refused.text
    refused = post_form(client, new, new, **{**fields, "provider": "PRV001"})
    assert refused.status_code == 422
    assert "remove the phone number" in refused.text
    assert "020 7946 0958</textarea>" in refused.text

    recorded = post_form(
        client, new, new, **{**fields, "provider": "PRV001", "details": "Unusual calls"}
    )
    assert recorded.status_code == 303
    page = client.get(recorded.headers["location"])
    assert "Report INC-2027-0001 recorded" in page.text
    assert "security.user" in page.text  # named as people know them, not by the audit id
    assert "user:security.user" not in page.text


def test_a_proforma_entered_twice_by_a_double_click_is_recorded_once(
    web_container: Container, client: TestClient
) -> None:
    make_ack_link(web_container)
    signed_in_client(client, web_container, Role.SECURITY)
    new = f"{TRIAGE}/new"
    page = client.get(new)
    fields = {**PROFORMA, "csrf_token": csrf_field_of_form(page.text, new)}
    first = client.post(new, data=fields, follow_redirects=False)
    again = client.post(new, data=fields, follow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert first.headers["location"].startswith(f"{TRIAGE}/INC-2027-0001")
    alerts = [row for row in outbox_rows(web_container) if row[2] == "incident-received"]
    assert len(alerts) == 1
    assert client.get(f"{TRIAGE}/INC-2027-0002").status_code == 404


def test_marking_a_report_assessed_twice_lands_on_the_report_once(
    web_container: Container, client: TestClient
) -> None:
    """A double click, a reload or a second tab: the same assessment is not an error,
    and is recorded once; a different note on an assessed report is refused."""
    reference = a_report(web_container)
    signed_in_client(client, web_container, Role.SECURITY)
    action = f"{TRIAGE}/{reference}/assess"
    page = client.get(f"{TRIAGE}/{reference}")
    data = {"csrf_token": csrf_field_of_form(page.text, action), "note": "Checked it"}
    first = client.post(action, data=data, follow_redirects=False)
    again = client.post(action, data=data, follow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assessed = audit_actions(web_container, "incident:report:assess")
    assert len(assessed) == 1
    other = client.post(action, data={**data, "note": "Something else"}, follow_redirects=False)
    assert other.status_code == 409
    assert audit_actions(web_container, "incident:report:assess") == assessed
