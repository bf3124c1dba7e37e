"""A SPoC's report link in email 1, and a report sent from it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from codeservice.domain.audit import AuditTag
from codeservice.domain.incidents import InvalidReport
from codeservice.domain.triage import TriageState
from codeservice.errors import NotFound
from codeservice.services.incidents.reports import ReportForm
from codeservice.services.incidents.reports_by_link import (
    load_report_link,
    report_sent_by_link,
    submit_report,
)
from codeservice.services.incidents.views import IncidentView, list_reports
from codeservice.services.link_tokens import LinkExpired, LinkNotFound
from codeservice.storage.models import LinkToken, Spoc
from tests.integration.services.incidents.support import ACTOR, FORM, report_token
from tests.integration.services.test_reissue import (
    DURING_APRIL,
    World,
    text_of,
)
from tests.support.reading import read

# --- the link in email 1 ------------------------------------------------------------


def _submit(world: World, token: str, form: ReportForm) -> IncidentView:
    container, now = world.container, world.clock.now
    with container.transaction() as uow:
        return submit_report(
            uow,
            container.mailroom,
            token,
            form,
            per_hour=container.settings.incident_reports_per_hour,
            ip="203.0.113.9",
            now=now,
        )


def test_every_email_1_carries_the_spocs_own_report_link_reused_while_valid(world: World) -> None:
    links: dict[str, set[str]] = {}
    for entry in world.emails():
        found = re.search(
            r"http://127\.0\.0\.1:8000/report/([A-Za-z0-9_-]{43})", text_of(world.message(entry))
        )
        assert found, "email 1 has no report link"
        links.setdefault(entry.recipients[0], set()).add(found.group(1))
    assert set(links) == {"ann.lee@example.org", "bob.roe@example.org", "cat@example.com"}
    assert len({token for tokens in links.values() for token in tokens}) == 3

    # A later email 1 (here, a reissue's) carries the same link.
    from tests.support.reissue import reissue_provider

    before = len(world.emails())
    reissue_provider(world.container, "PRV001", reason="precaution", actor=ACTOR, source="cli")
    for entry in world.emails()[before:]:
        found = re.search(r"/report/([A-Za-z0-9_-]{43})", text_of(world.message(entry)))
        assert found and links[entry.recipients[0]] == {found.group(1)}
    with world.container.uow() as uow:
        count = uow.session.scalar(
            select(func.count())
            .select_from(LinkToken)
            .where(LinkToken.purpose == "report-incident")
        )
    assert count == 3


def test_a_report_link_nearing_its_end_is_replaced_by_a_new_one_in_the_next_email(
    world: World,
) -> None:
    first = report_token(world)
    world.clock.now = DURING_APRIL + timedelta(days=300)
    second = report_token(world)
    assert second != first
    view = read(
        world.container, load_report_link, first, now=world.clock.now
    )  # still works meanwhile
    assert view.provider_ref == "PRV001"


def test_a_spoc_reports_from_their_link(world: World) -> None:
    token = report_token(world)
    view = read(world.container, load_report_link, token, now=world.clock.now)
    assert (view.spoc_name, view.provider_name) == ("Ann Lee", "Northfield Employment Ltd")

    report = _submit(world, token, FORM)

    assert report.reference == "INC-2027-0001"
    assert report.state is TriageState.RECEIVED
    assert report.source == "spoc-link"
    assert report.reported_by_label == "Ann Lee (ann.lee@example.org), SPoC"
    [received] = world.audit(AuditTag.INCIDENT_REPORT_RECEIVE)
    assert received == {
        "reference": "INC-2027-0001",
        "provider": "PRV001",
        "reason": "dismissed",
        "from": "spoc-link",
    }
    # The security mailbox is told at once — without the description.
    [alert] = world.emails("incident-received")
    assert alert.recipients == ("wpd-security@example.gov.uk",)
    text = text_of(world.message(alert))
    assert "INC-2027-0001" in text and "Northfield Employment Ltd" in text
    assert "A member of staff was dismissed" in text
    assert "/security/incidents/INC-2027-0001" in text
    assert FORM.details not in world.message(alert).as_string()

    shown = read(world.container, report_sent_by_link, token, "INC-2027-0001", now=world.clock.now)
    assert shown.reference == "INC-2027-0001"
    other = report_token(world, "bob.roe@example.org")
    with pytest.raises(NotFound):
        read(world.container, report_sent_by_link, other, "INC-2027-0001", now=world.clock.now)


def test_a_report_with_personal_details_is_refused_and_nothing_is_kept(world: World) -> None:
    token = report_token(world)
    form = ReportForm(**{**FORM.__dict__, "details": "Dismissed; NI QQ 12 34 56 C."})
    with pytest.raises(InvalidReport) as refused:
        _submit(world, token, form)
    assert refused.value.errors == {
        "details": "Do not include personal details about any member of staff: remove the "
        "National Insurance number"
    }
    with world.container.read_uow() as uow:
        assert list_reports(uow) == []
    assert world.emails("incident-received") == []


def test_a_withdrawn_spocs_link_no_longer_works_and_the_attempt_is_audited(world: World) -> None:
    token = report_token(world)
    with world.container.uow() as uow:
        spoc = uow.session.scalar(select(Spoc).where(Spoc.email == "ann.lee@example.org"))
        assert spoc is not None
        spoc.active = False
        uow.commit()
    with pytest.raises(LinkExpired) as refused:
        _submit(world, token, FORM)
    assert refused.value.reason == "withdrawn"
    [rejected] = world.audit(AuditTag.SPOC_TOKEN_REJECT)
    assert rejected == {"reason": "withdrawn", "purpose": "report-incident"}
    with world.container.read_uow() as uow:
        assert list_reports(uow) == []


def test_an_acknowledgement_token_is_not_a_report_link(world: World) -> None:
    with pytest.raises(LinkNotFound):
        read(world.container, load_report_link, "x" * 43, now=world.clock.now)
    with pytest.raises(LinkNotFound):
        read(world.container, load_report_link, "not-a-token", now=world.clock.now)
