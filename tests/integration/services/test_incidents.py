"""Annex B reports: from a SPoC's link or entered by the security team; triage; the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.domain.incidents import InvalidReport
from codeservice.domain.triage import TriageConflict, TriageState
from codeservice.errors import InputError, NotFound
from codeservice.services.incidents.reports import ReportForm, record_report
from codeservice.services.incidents.reports_by_link import (
    load_report_link,
    report_sent_by_link,
    submit_report,
)
from codeservice.services.incidents.triage import assess_report, decide_report
from codeservice.services.incidents.views import get_report, list_reports
from codeservice.services.link_tokens import LinkExpired, LinkNotFound
from codeservice.services.report_links import report_link_token
from codeservice.storage.models import AccessCode, IncidentReport, LinkToken, Reissue, Spoc
from tests.conftest import Cli
from tests.integration.services.test_reissue import (
    APRIL,
    DURING_APRIL,
    World,
    make_world,
    text_of,
)

ACTOR = "cli:security.officer"
FORM = ReportForm(
    subcontractor="",
    day="12",
    month="4",
    year="2027",
    reason="dismissed",
    details="A team leader who knew the code was dismissed.",
)


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    made, built = make_world(container, datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    made.issue(APRIL)
    made.clock.now = DURING_APRIL
    yield made
    built.close()


def report_token(world: World, email: str = "ann.lee@example.org") -> str:
    with world.container.uow() as uow:
        spoc = uow.session.scalar(select(Spoc).where(Spoc.email == email))
        assert spoc is not None
        token = report_link_token(uow, world.container, spoc, world.clock.now)
        uow.commit()
    return token


def record(world: World, **changes: str) -> str:
    fields = {
        "provider_ref": "PRV001",
        "change_date": "2027-04-12",
        "reason": "left-without-notice",
        "details": "Left without notice; knew the code.",
    }
    fields.update(changes)
    return record_report(world.container, actor=ACTOR, source="cli", **fields).reference


# --- the link in email 1 ------------------------------------------------------------


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
    from codeservice.services.incidents.reissue import reissue_provider

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
    view = load_report_link(world.container, first, world.clock.now)  # still works meanwhile
    assert view.provider_ref == "PRV001"


def test_a_spoc_reports_from_their_link(world: World) -> None:
    token = report_token(world)
    view = load_report_link(world.container, token, world.clock.now)
    assert (view.spoc_name, view.provider_name) == ("Ann Lee", "Northfield Employment Ltd")

    report = submit_report(world.container, token, FORM, ip="203.0.113.9", now=world.clock.now)

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

    shown = report_sent_by_link(world.container, token, "INC-2027-0001", world.clock.now)
    assert shown.reference == "INC-2027-0001"
    other = report_token(world, "bob.roe@example.org")
    with pytest.raises(NotFound):
        report_sent_by_link(world.container, other, "INC-2027-0001", world.clock.now)


def test_a_report_with_personal_details_is_refused_and_nothing_is_kept(world: World) -> None:
    token = report_token(world)
    form = ReportForm(**{**FORM.__dict__, "details": "Dismissed; NI QQ 12 34 56 C."})
    with pytest.raises(InvalidReport) as refused:
        submit_report(world.container, token, form, ip="203.0.113.9", now=world.clock.now)
    assert refused.value.errors == {
        "details": "Do not include personal details about any member of staff: remove the "
        "National Insurance number"
    }
    assert list_reports(world.container) == []
    assert world.emails("incident-received") == []


def test_a_withdrawn_spocs_link_no_longer_works_and_the_attempt_is_audited(world: World) -> None:
    token = report_token(world)
    with world.container.uow() as uow:
        spoc = uow.session.scalar(select(Spoc).where(Spoc.email == "ann.lee@example.org"))
        assert spoc is not None
        spoc.active = False
        uow.commit()
    with pytest.raises(LinkExpired) as refused:
        submit_report(world.container, token, FORM, ip="203.0.113.9", now=world.clock.now)
    assert refused.value.reason == "withdrawn"
    [rejected] = world.audit(AuditTag.SPOC_TOKEN_REJECT)
    assert rejected == {"reason": "withdrawn", "purpose": "report-incident"}
    assert list_reports(world.container) == []


def test_an_acknowledgement_token_is_not_a_report_link(world: World) -> None:
    with pytest.raises(LinkNotFound):
        load_report_link(world.container, "x" * 43, world.clock.now)
    with pytest.raises(LinkNotFound):
        load_report_link(world.container, "not-a-token", world.clock.now)


# --- entered by the security team ---------------------------------------------------


def test_the_security_team_records_a_proforma_received_by_email(world: World) -> None:
    first = record(world)
    second = record(world, subcontractor="Riverside Community Trust", reason="subcontractor-ended")
    assert (first, second) == ("INC-2027-0001", "INC-2027-0002")
    view = get_report(world.container, "inc-2027-0002")
    assert (view.subcontractor, view.source, view.reported_by) == (
        "Riverside Community Trust",
        "security-team",
        ACTOR,
    )
    assert len(world.emails("incident-received")) == 2


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"details": "Call her on 07700 900123"}, InvalidReport, "remove the phone number"),
        ({"details": "ann@example.org left"}, InvalidReport, "remove the email address"),
        ({"change_date": "12/04/2027"}, InvalidReport, "must be a real date"),
        ({"change_date": "2027-05-01"}, InvalidReport, "must be today or in the past"),
        ({"reason": "resigned"}, InvalidReport, "Select the reason"),
        ({"provider_ref": "SUB101"}, InputError, "record the report against PRV001"),
        ({"provider_ref": "PRV999"}, NotFound, "no provider"),
    ],
)
def test_a_bad_proforma_is_refused(
    world: World, changes: dict[str, str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        record(world, **changes)
    assert list_reports(world.container) == []


# --- triage -------------------------------------------------------------------------


def test_triage_assess_then_no_change_with_every_step_audited(world: World) -> None:
    reference = record(world)
    world.clock.now += timedelta(hours=2)
    assessed = assess_report(world.container, reference, actor=ACTOR, source="cli", note="Checked")
    assert (assessed.state, assessed.assessment_note) == (TriageState.ASSESSED, "Checked")
    world.clock.now += timedelta(minutes=30)
    decision = decide_report(
        world.container,
        reference,
        decision="no-change",
        reason="Left for a new job; no reason to doubt them",
        actor=ACTOR,
        source="cli",
    )
    assert decision.view.state is TriageState.NO_CHANGE and decision.reissue is None
    assert decision.view.waiting(world.clock.now + timedelta(days=9)) == timedelta(
        hours=2, minutes=30
    )
    assert [d["reference"] for d in world.audit(AuditTag.INCIDENT_REPORT_ASSESS)] == [reference]
    [decided] = world.audit(AuditTag.INCIDENT_REPORT_DECIDE)
    assert decided["decision"] == "no-change" and decided["waited_seconds"] == 9000
    assert len(world.codes()) == 1

    again = decide_report(
        world.container,
        reference,
        decision="no-change",
        reason="again",
        actor=ACTOR,
        source="cli",
    )
    assert again.already
    with pytest.raises(TriageConflict, match="a decision is final"):
        decide_report(
            world.container,
            reference,
            decision="reissue",
            reason="changed my mind",
            actor=ACTOR,
            source="cli",
        )
    with pytest.raises(TriageConflict):
        assess_report(world.container, reference, actor=ACTOR, source="cli")


def test_deciding_reissue_twice_reissues_once(world: World) -> None:
    reference = record(world)
    before = len(world.emails())
    first = decide_report(
        world.container,
        reference,
        decision="reissue",
        reason="Dismissed; code known",
        actor=ACTOR,
        source="cli",
    )
    assert first.view.state is TriageState.REISSUE
    assert first.view.assessed_at == first.view.decided_at  # assessed in the same step
    assert first.reissue is not None and len(first.reissue.replaced) == 1
    assert first.view.codes_replaced == 1 and first.view.reissue_completed_at is not None
    second = decide_report(
        world.container,
        reference,
        decision="reissue",
        reason="Dismissed; code known",
        actor=ACTOR,
        source="cli",
    )
    assert second.already and second.reissue is not None and second.reissue.already_done
    assert len(world.codes()) == 2
    assert len(world.emails()) == before + 2  # one email 1 per SPoC, once
    with world.container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Reissue)) == 1
    assert len(world.audit(AuditTag.INCIDENT_REPORT_DECIDE)) == 1
    with world.container.uow() as uow:
        report = uow.session.scalar(select(IncidentReport))
        assert report is not None and report.decision_reason == "Dismissed; code known"


def test_the_list_shows_open_reports_oldest_first(world: World) -> None:
    first = record(world)
    world.clock.now += timedelta(minutes=5)
    second = record(world)
    decide_report(
        world.container, first, decision="no-change", reason="fine", actor=ACTOR, source="cli"
    )
    assert [v.reference for v in list_reports(world.container)] == [first, second]
    open_ = list_reports(world.container, states=["received", "assessed"])
    assert [v.reference for v in open_] == [second]


# --- the CLI (real clock) -------------------------------------------------------------


@pytest.fixture
def live(cli: Cli, container: Container) -> Cli:
    """A register and the codes of the cycle in force now (the CLI runs on the real clock)."""
    from codeservice.services.distribution.rotation import rotate
    from codeservice.services.register.providers import import_register
    from tests.integration.services.test_reissue import REGISTER

    import_register(container, REGISTER.encode(), "register.csv", actor="tester")
    rotate(
        container,
        container.calendar.cycle_in_force(container.now()),
        actor="t",
        source="t",
        workers=1,
    )
    return cli


def test_the_cli_records_lists_shows_and_decides(live: Cli, container: Container) -> None:
    today = container.now().astimezone(container.settings.tz).date().isoformat()
    recorded = live(
        "incidents",
        "record",
        "--provider",
        "PRV001",
        "--date",
        today,
        "--reason",
        "dismissed",
        "--details",
        "A team leader who knew the code was dismissed.",
    )
    assert recorded.exit_code == 0, recorded.output
    reference = re.search(r"INC-\d{4}-\d{4}", recorded.output).group(0)  # type: ignore[union-attr]

    listed = live("incidents", "list", "--json")
    [entry] = json.loads(listed.output)
    assert (entry["reference"], entry["state"], entry["waited"]) == (
        reference,
        "received",
        "under a minute",
    )
    shown = live("incidents", "show", reference)
    assert "A team leader who knew the code was dismissed." in shown.output

    refused = live("incidents", "decide", reference, "--reason", "why")
    assert refused.exit_code != 0 and "exactly one of --reissue and --no-change" in refused.output

    decided = live("incidents", "decide", reference, "--reissue", "--reason", "Code known")
    assert decided.exit_code == 0, decided.output
    assert "code reissued" in decided.output and "1 code revoked and replaced" in decided.output

    again = live("reissue", "PRV001", "--incident", reference)
    assert again.exit_code == 0, again.output
    assert "was already completed" in again.output
    with container.uow() as uow:
        assert (
            uow.session.scalar(
                select(func.count()).select_from(AccessCode).where(AccessCode.state == "revoked")
            )
            == 1
        )


def test_the_cli_refuses_personal_details_without_echoing_them(live: Cli) -> None:
    result = live(
        "incidents",
        "record",
        "--provider",
        "PRV001",
        "--date",
        "2026-01-05",
        "--reason",
        "other",
        "--details",
        "Their NI number is QQ123456C",
    )
    assert result.exit_code == InputError.exit_code
    assert (
        "Do not include personal details about any member of staff: remove the National "
        "Insurance number" in result.output
    )
    assert "QQ123456C" not in result.output


def test_the_cli_reissues_without_a_report_given_a_reason(live: Cli) -> None:
    missing = live("reissue", "PRV001")
    assert missing.exit_code != 0 and "--reason TEXT" in missing.output
    done = live("reissue", "PRV001", "--reason", "Precaution after a lost laptop")
    assert done.exit_code == 0, done.output
    assert "1 code revoked and replaced, 2 emails queued" in done.output
    wrong = live("reissue", "PRV002", "--incident", "INC-2026-0001")
    assert wrong.exit_code != 0 and "no incident report INC-2026-0001" in wrong.output
