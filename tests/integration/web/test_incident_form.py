"""The SPoC's report form at ``/report/{token}``, over HTTP."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.services.report_links import report_link_token
from codeservice.storage.models import IncidentReport, Spoc
from tests.integration.web.links import (
    NOW,
    change,
    csrf_field,
    make_ack_link,
    outbox_rows,
    snapshot,
)
from tests.support.clock import Clock

VALID = {
    "subcontractor": "",
    "change-date-day": "29",
    "change-date-month": "3",
    "change-date-year": "2027",
    "reason": "dismissed",
    "details": "A team leader who knew the code was dismissed on Monday.",
}


def report_path(
    container: Container,
    spoc_name: str = "Ann Lee",
    spoc_email: str = "ann.lee@example.org",
) -> tuple[str, int]:
    """A SPoC (made with an issued code) and the path of their report link."""
    link = make_ack_link(container, spoc_name=spoc_name, spoc_email=spoc_email)
    with container.uow() as uow:
        found = uow.session.get(Spoc, link.spoc_id)
        assert found is not None
        token = report_link_token(uow, container.keyring, found, NOW)
        uow.commit()
    return f"/report/{token}", link.spoc_id


def send(client: TestClient, path: str, **fields: str) -> Response:
    page = client.get(path)
    assert page.status_code == 200
    data = {**VALID, **fields, "csrf_token": csrf_field(page.text)}
    response: Response = client.post(path, data=data, follow_redirects=False)
    return response


def reports(container: Container) -> list[IncidentReport]:
    with container.uow() as uow:
        found = list(uow.session.scalars(select(IncidentReport).order_by(IncidentReport.id)))
        uow.session.expunge_all()
        return found


def test_the_form_shows_the_provider_and_the_annex_b_fields(
    web_container: Container, client: TestClient
) -> None:
    path, _ = report_path(web_container)
    before = snapshot(web_container)
    page = client.get(path)
    assert page.status_code == 200
    text = page.text
    assert "Report a potential security incident" in text
    assert "Northfield Ltd (PRV001)" in text and "Ann Lee" in text
    assert "Do not include personal details about any member of staff" in text
    for name in (
        "subcontractor",
        "change-date-day",
        "change-date-month",
        "change-date-year",
        "details",
    ):
        assert f'name="{name}"' in text
    assert text.count('name="reason"') == 5
    assert "A member of staff was dismissed" in text
    assert client.head(path).status_code == 200
    assert snapshot(web_container) == before  # opening the link changes nothing


def test_sending_the_form_records_the_report_and_shows_its_reference(
    web_container: Container, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    path, spoc_id = report_path(web_container)
    response = send(client, path, subcontractor="Step Forward Mentoring")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == f"{path}/sent/INC-2027-0001"

    page = client.get(location)
    assert page.status_code == 200
    assert "Report sent" in page.text and "INC-2027-0001" in page.text
    # The panel's markup is rendered, not shown as text.
    assert "Your reference is<br><strong>INC-2027-0001</strong>" in page.text
    assert "&lt;" not in page.text

    [report] = reports(web_container)
    assert (report.reference, report.state, report.reported_by, report.subcontractor) == (
        "INC-2027-0001",
        "received",
        f"spoc:{spoc_id}",
        "Step Forward Mentoring",
    )
    assert report.details == VALID["details"]
    assert [row[1:] for row in outbox_rows(web_container)] == [
        ("wpd-security@example.gov.uk", "incident-received")
    ]
    token = path.rsplit("/", 1)[1]
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("codeservice")]
    assert any("/report/…" in line for line in ours)
    assert not any(token in line for line in ours)  # the access log redacts the link


def test_the_same_form_sent_twice_is_one_report_and_one_email(
    web_container: Container, client: TestClient
) -> None:
    """A double click, a reload of the POST or the form sent again from a second tab."""
    path, _ = report_path(web_container)
    page = client.get(path)
    data = {**VALID, "csrf_token": csrf_field(page.text)}
    first = client.post(path, data=data, follow_redirects=False)
    after_first = snapshot(web_container)

    again = client.post(path, data=data, follow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"] == f"{path}/sent/INC-2027-0001"
    assert snapshot(web_container) == after_first
    assert [r.reference for r in reports(web_container)] == ["INC-2027-0001"]
    assert [row[2] for row in outbox_rows(web_container)] == ["incident-received"]
    # A report with different answers is a new one.
    assert send(client, path, details="Another team leader left.").status_code == 303
    assert len(reports(web_container)) == 2


def test_the_last_report_of_the_hour_sent_again_is_not_refused(
    web_container: Container, client: TestClient
) -> None:
    path, _ = report_path(web_container)
    for number in range(5):
        last = send(client, path, details=f"Incident {number}.")
        assert last.status_code == 303
    again = send(client, path, details="Incident 4.")
    assert again.status_code == 303
    assert again.headers["location"] == last.headers["location"]
    assert len(reports(web_container)) == 5


def test_personal_details_are_refused_saying_why_and_everything_typed_is_kept(
    web_container: Container, client: TestClient
) -> None:
    path, _ = report_path(web_container)
    typed = "Dismissed on Monday. NI number QQ123456C, knew the code."
    response = send(
        client, path, details=typed, subcontractor="Riverside Trust", reason="suspected-fraud"
    )
    assert response.status_code == 422
    text = response.text
    message = (
        "Do not include personal details about any member of staff: remove the National "
        "Insurance number"
    )
    assert "There is a problem" in text
    assert text.count(message) == 2  # in the summary and at the field
    assert 'href="#details"' in text
    assert "<title>Error: Report a potential security incident" in text
    # What was typed is kept: the description (to edit), the date, the choice, the rest.
    assert f">{html.escape(typed)}</textarea>" in text
    assert 'value="Riverside Trust"' in text
    assert re.search(r'value="29"', text) and re.search(r'value="2027"', text)
    assert re.search(r'value="suspected-fraud"\s+checked', text)
    assert reports(web_container) == []
    assert outbox_rows(web_container) == []


def test_missing_answers_are_each_named_and_linked(
    web_container: Container, client: TestClient
) -> None:
    path, _ = report_path(web_container)
    response = send(
        client,
        path,
        **{"change-date-day": "31", "change-date-month": "2", "reason": "", "details": ""},
    )
    assert response.status_code == 422
    text = response.text
    for message, anchor in (
        ("Date of the change of circumstances must be a real date", "#change-date-day"),
        ("Select the reason for the report", "#reason"),
        ("Enter a description of what happened", "#details"),
    ):
        assert message in text and f'href="{anchor}"' in text
    assert 'value="31"' in text
    assert reports(web_container) == []


def test_a_form_without_its_csrf_token_is_refused(
    web_container: Container, client: TestClient
) -> None:
    path, _ = report_path(web_container)
    client.get(path)
    response = client.post(path, data=VALID)
    assert response.status_code == 400
    assert reports(web_container) == []


def test_a_link_that_cannot_be_used_says_why(web_container: Container, client: TestClient) -> None:
    assert client.get("/report/" + "A" * 43).status_code == 404
    assert "This link is not valid" in client.get("/report/nonsense").text

    path, spoc_id = report_path(web_container)
    change(web_container, Spoc, spoc_id, active=False)
    withdrawn = client.get(path)
    assert withdrawn.status_code == 410
    assert "This link is no longer active" in withdrawn.text


def test_the_confirmation_is_only_for_the_spoc_who_sent_the_report(
    web_container: Container, client: TestClient
) -> None:
    path, _ = report_path(web_container)
    send(client, path)
    other, _ = report_path(web_container, spoc_name="Bob Roe", spoc_email="bob.roe@example.org")
    assert client.get(f"{other}/sent/INC-2027-0001").status_code == 404
    assert client.get(f"{path}/sent/INC-2027-0001").status_code == 200


def test_a_link_sends_at_most_its_reports_for_the_hour(
    web_container: Container, client: TestClient, clock: Clock
) -> None:
    path, _ = report_path(web_container)
    for number in range(5):
        assert send(client, path, details=f"Incident {number}.").status_code == 303
    before = snapshot(web_container)

    refused = send(client, path, details="Incident 5.")

    assert refused.status_code == 429
    text = html.unescape(refused.text)
    assert "You cannot send another report yet" in text
    assert "after Thursday 1 April 2027 at 11:30" in text  # 10:30 BST, an hour on
    assert "0345 6044015" in text
    assert int(refused.headers["retry-after"]) == 3601
    assert snapshot(web_container) == before and len(reports(web_container)) == 5

    clock.now = NOW + timedelta(hours=1, seconds=1)
    assert send(client, path, details="Incident 5.").status_code == 303
