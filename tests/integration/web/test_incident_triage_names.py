"""The triage page and ``incidents show`` name people, not audit-trail ids."""

from __future__ import annotations

from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.services.incidents.views import get_report
from tests.integration.web.staff import make_staff, sign_in
from tests.integration.web.test_incident_triage import TRIAGE, a_report, post_form


def test_the_triage_page_names_the_people_who_recorded_assessed_and_decided(
    web_container: Container, client: TestClient
) -> None:
    make_staff(web_container, "sam.sec", Role.SECURITY, display_name="Sam Okafor")
    reference = a_report(web_container, actor="user:sam.sec", source="web")
    assert sign_in(client, "sam.sec").status_code == 303
    path = f"{TRIAGE}/{reference}"
    assert post_form(client, path, f"{path}/assess", note="Had the code").status_code == 303
    decided = post_form(client, path, f"{path}/decide", decision="no-change", reason="Left")
    assert decided.status_code == 303

    page = client.get(path).text
    assert "user:sam.sec" not in page
    assert page.count("Sam Okafor") >= 3  # reported, assessed and decided by
    assert "by Sam Okafor: Had the code" in page

    with web_container.read_uow() as uow:
        view = get_report(uow, reference)
    assert (view.reported_by_label, view.assessed_by_label, view.decided_by_label) == (
        "Sam Okafor",
        "Sam Okafor",
        "Sam Okafor",
    )
    assert view.assessed_by == "user:sam.sec"  # the record itself keeps the id


def test_without_a_display_name_the_username_is_shown_and_cli_users_say_so(
    web_container: Container,
) -> None:
    make_staff(web_container, "kim.sec", Role.SECURITY)
    reference = a_report(web_container, actor="cli:root", source="cli")
    with web_container.read_uow() as uow:
        view = get_report(uow, reference)
    assert view.reported_by_label == "root (command line)"
    assert view.assessed_by_label is None
