"""A form's CSRF field is bound to where the form is sent: one SPoC link's is no other's."""

from __future__ import annotations

from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.services.report_links import report_link_token
from codeservice.storage.models import Spoc
from tests.integration.web.links import NOW, csrf_field, make_ack_link, snapshot
from tests.integration.web.test_incident_form import VALID


def _report_path(container: Container, spoc_id: int) -> str:
    with container.uow() as uow:
        spoc = uow.session.get(Spoc, spoc_id)
        assert spoc is not None
        token = report_link_token(uow, container.keyring, spoc, NOW)
        uow.commit()
    return f"/report/{token}"


def test_a_field_from_one_link_is_refused_on_another_and_on_the_report_form(
    web_container: Container, client: TestClient
) -> None:
    ann = make_ack_link(web_container)
    bob = make_ack_link(web_container, spoc_name="Bob Reid", spoc_email="bob.reid@example.org")
    ann_report = _report_path(web_container, ann.spoc_id)
    from_ann = csrf_field(client.get(ann.path).text)
    before = snapshot(web_container)

    on_bob = client.post(bob.path, data={"csrf_token": from_ann})
    on_report = client.post(ann_report, data={**VALID, "csrf_token": from_ann})

    assert (on_bob.status_code, on_report.status_code) == (400, 400)
    assert "Your session expired" in on_bob.text
    assert snapshot(web_container) == before
    # The same field, on the form it came from, is accepted.
    assert client.post(ann.path, data={"csrf_token": from_ann}).status_code == 200


def test_a_report_forms_field_is_refused_on_the_acknowledgement(
    web_container: Container, client: TestClient
) -> None:
    ann = make_ack_link(web_container)
    report = _report_path(web_container, ann.spoc_id)
    from_report = csrf_field(client.get(report).text)
    before = snapshot(web_container)

    assert client.post(ann.path, data={"csrf_token": from_report}).status_code == 400
    assert snapshot(web_container) == before


def test_the_field_does_not_carry_the_links_token(
    web_container: Container, client: TestClient
) -> None:
    ann = make_ack_link(web_container)
    field = csrf_field(client.get(ann.path).text)
    assert ann.token not in field
    assert ann.token[:20] not in field
