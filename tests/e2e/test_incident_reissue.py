"""A potential security incident end to end: reported from email 1, decided, reissued.

Real parts throughout: the database (SQLite and PostgreSQL), an aiosmtpd server, the
web app in Chromium, the encrypted documents and the helpline check. A reissue killed
part-way is ``test_reissue_crash``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from codeservice.bootstrap import Container
from codeservice.documents import decrypt_document, read_access_code
from codeservice.domain.accounts import Role
from codeservice.domain.calendar import Cycle
from codeservice.domain.wording import INCIDENT_REASON
from codeservice.services.distribution.codes import reveal_access_code
from codeservice.services.distribution.rotation import rotate
from codeservice.services.incidents.triage import decide_report
from codeservice.storage.models import AccessCode, IncidentReport
from mailer.capture import capturing
from tests.e2e.browser import BrowserProblems, finish_sign_in, screenshot
from tests.integration.web.staff import PASSWORD, make_staff
from tests.support.clock import Clock
from tests.support.helpline import answer_challenge, start_challenge
from tests.support.inbox import Inbox, attachment, body, link, send_mail, to
from tests.support.register import import_register_file
from tests.support.reissue import complete, reissue_provider

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "config" / "providers.example.csv"
APRIL = Cycle(2027, 4)
DURING_APRIL = datetime(2027, 4, 14, 9, 0, tzinfo=UTC)  # Wednesday 14 April, 10:00 BST
PRV001_SPOCS = {"priya.raman@example.org", "tom.whitaker@example.org"}
AGENT = "agent:jo.bloggs"


# --- mail -------------------------------------------------------------------------------


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "captured"


@pytest.fixture
def web_container(container: Container, clock: Clock, maildir: Path) -> Iterator[Container]:
    """The live server's container, sending to a capture server on a free port."""
    with capturing(maildir) as server:
        built = Container(replace(container.settings, smtp_port=server.port), clock=clock)
        yield built
        built.close()


# --- the end-to-end test --------------------------------------------------------------------


def test_a_reported_incident_is_decided_and_the_code_replaced_everywhere(
    web_container: Container,
    clock: Clock,
    live_server: str,
    browser: Browser,
    page: Page,
    problems: BrowserProblems,
    maildir: Path,
) -> None:
    app = web_container
    inbox = Inbox(maildir)
    clock.now = app.calendar.dates(APRIL).issue_at + timedelta(seconds=5)
    import_register_file(app, REGISTER, actor="bmt")
    rotate(app.press, APRIL, now=app.now(), actor="scheduler", source="test", workers=1)
    send_mail(app)
    first_emails = {to(m): m for m in inbox.new()}
    email_1 = first_emails["priya.raman@example.org"]
    old_ack = link(email_1, "ack")
    clock.now = DURING_APRIL

    # The SPoC follows the report link in email 1.
    page.goto(live_server + link(email_1, "report"))
    expect(page.locator("h1")).to_have_text("Report a potential security incident")
    expect(page.locator("main")).to_contain_text("Northfield Employment Services Ltd (PRV001)")
    screenshot(page, "incident-0-blank-form")  # for the SPoC guide
    page.get_by_label("Subcontractor organisation (optional)").fill("Step Forward Mentoring CIC")
    page.get_by_label("Day").fill("12")
    page.get_by_label("Month").fill("4")
    page.get_by_label("Year").fill("2027")
    page.get_by_label("A member of staff was dismissed").check()
    description = page.get_by_label("What happened")
    description.fill("A team leader who knew the code was dismissed. NI number QQ123456C.")
    screenshot(page, "incident-1-form")
    page.get_by_role("button", name="Send report").click()

    # Refused, saying why — and everything typed is still there.
    message = (
        "Do not include personal details about any member of staff: remove the National "
        "Insurance number"
    )
    expect(page.locator(".govuk-error-summary")).to_contain_text(message)
    expect(page.locator("#details-error")).to_contain_text(message)
    expect(page.get_by_label("Subcontractor organisation (optional)")).to_have_value(
        "Step Forward Mentoring CIC"
    )
    expect(page.get_by_label("Day")).to_have_value("12")
    expect(page.get_by_label("Year")).to_have_value("2027")
    expect(page.get_by_label("A member of staff was dismissed")).to_be_checked()
    expect(description).to_have_value(
        "A team leader who knew the code was dismissed. NI number QQ123456C."
    )
    screenshot(page, "incident-2-refused")
    with app.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(IncidentReport)) == 0

    description.fill("A team leader who knew the code was dismissed on Monday.")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("h1")).to_have_text("Report sent")
    expect(page.locator(".govuk-panel")).to_contain_text("INC-2027-0001")
    screenshot(page, "incident-3-sent")

    send_mail(app)
    [alert] = inbox.new()
    assert to(alert) == app.settings.security_mailbox
    assert "INC-2027-0001" in alert["Subject"]
    assert "dismissed on Monday" not in alert.as_string()

    # The security team triages it in the browser: assessed, then reissue.
    clock.now = DURING_APRIL + timedelta(minutes=20)
    with app.uow() as uow:
        old_code = uow.session.scalar(
            select(AccessCode).where(AccessCode.provider.has(ref="PRV001"))
        )
        assert old_code is not None
        old_plain = reveal_access_code(app.keyring, old_code)
    make_staff(app, "sec.officer", Role.SECURITY)
    staff = problems.watch(browser.new_context(viewport={"width": 1280, "height": 900}).new_page())
    staff.goto(live_server + "/security/incidents")
    staff.get_by_role("textbox", name="Username").fill("sec.officer")
    staff.get_by_role("textbox", name="Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    finish_sign_in(staff, app, "sec.officer")
    expect(staff.locator("h1")).to_have_text("Incident reports")
    row = staff.locator("#incident-reports tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Northfield Employment Services Ltd (PRV001)")
    expect(row).to_contain_text("20 minutes")  # how long it has waited
    expect(row).to_contain_text("Received")
    screenshot(staff, "incident-4-triage-list")

    staff.get_by_role("link", name="INC-2027-0001").click()
    expect(staff.locator("#report")).to_contain_text("dismissed on Monday")
    staff.get_by_label("What the assessment found (optional)").fill("The role held the code")
    staff.get_by_role("button", name="Mark as assessed").click()
    expect(staff.locator(".govuk-notification-banner")).to_contain_text("is assessed")
    staff.get_by_role("button", name="Record the decision").click()
    expect(staff.locator(".govuk-error-summary")).to_contain_text(
        "Select whether the access code must change"
    )
    staff.get_by_label("Yes: reissue it now").check()
    staff.get_by_label("Reason for the decision").fill("Dismissed; knew the code")
    screenshot(staff, "incident-5-decide")
    staff.get_by_role("button", name="Record the decision").click()
    expect(staff.locator(".govuk-notification-banner")).to_contain_text(
        "Decided: the access code is reissued. 1 code replaced"
    )
    expect(staff.locator("#triage-steps")).to_contain_text("by sec.officer")
    screenshot(staff, "incident-6-decided")
    staff.goto(live_server + "/security/incidents")
    expect(staff.locator("#no-reports")).to_be_visible()
    # Pressing the button again (a reload, another tab) reissues nothing more.
    now = app.now()
    with app.transaction() as uow:
        decision = decide_report(
            uow,
            app.keyring,
            "INC-2027-0001",
            decision="reissue",
            reason="Dismissed; knew the code",
            actor="user:sec.officer",
            source="test",
            now=now,
        )
    assert decision.already and decision.reissue_id is not None
    again = complete(app, decision.reissue_id, actor="user:sec.officer", source="test", now=now)
    assert again.already_done

    # Every SPoC of the provider gets a new email 1, and nobody gets anything else.
    send_mail(app)
    after = inbox.new()
    assert sorted(to(m) for m in after) == sorted(PRV001_SPOCS)
    for replacement in after:
        assert replacement["Subject"].startswith("Replacement Provider Direct access code")
        assert INCIDENT_REASON in body(replacement)
        assert "dismissed on Monday" not in replacement.as_string()
    new_email_1 = next(m for m in after if to(m) == "priya.raman@example.org")
    assert link(new_email_1, "report") == link(email_1, "report")  # the same report link

    # The old acknowledgement link is dead.
    page.goto(live_server + old_ack)
    expect(page.locator("h1")).to_have_text("This link has been replaced")
    expect(page.locator("main")).to_contain_text("replaced for security reasons")
    screenshot(page, "incident-7-old-link-replaced")

    # The new one works as usual: acknowledge, get the unlock code, open the document.
    page.goto(live_server + link(new_email_1, "ack"))
    page.get_by_role("button", name="Confirm receipt").click()
    expect(page.locator("h1")).to_have_text("Receipt confirmed")
    send_mail(app)
    [email_2] = inbox.new()
    assert to(email_2) == "priya.raman@example.org"
    unlock = re.search(r"\b([a-z2-9]{4}(?:-[a-z2-9]{4}){4,})\b", body(email_2))
    assert unlock
    new_plain = read_access_code(decrypt_document(attachment(new_email_1), unlock.group(1)))
    assert new_plain != old_plain

    # The helpline accepts only the new code.
    def say(code: str, positions: tuple[int, ...]) -> str:
        return "".join(code[p - 1] for p in positions)

    challenge = start_challenge(app, "PRV001", agent=AGENT, now=clock.now)
    assert (
        answer_challenge(
            app, challenge.id, say(old_plain, challenge.positions), agent=AGENT, now=clock.now
        )
        == "fail"
    )
    challenge = start_challenge(app, "SUB101", agent=AGENT, now=clock.now)
    assert (
        answer_challenge(
            app, challenge.id, say(new_plain, challenge.positions), agent=AGENT, now=clock.now
        )
        == "pass"
    )
    assert problems.messages == []


def test_between_wednesday_and_monday_both_codes_are_replaced_and_the_next_still_starts_monday(
    container: Container,
) -> None:
    from codeservice.services.helpline import code_in_force
    from tests.support.reading import activate_now

    clock = Clock(datetime(2027, 2, 24, 9, 0, 5, tzinfo=UTC))
    app = Container(container.settings, clock=clock)
    import_register_file(app, REGISTER, actor="bmt")
    rotate(app.press, Cycle(2027, 3), now=app.now(), actor="scheduler", source="test", workers=2)
    clock.now = app.calendar.dates(Cycle(2027, 3)).active_from
    activate_now(app, Cycle(2027, 3), actor="scheduler", source="test")
    clock.now = app.calendar.dates(APRIL).issue_at + timedelta(seconds=5)
    rotate(app.press, APRIL, now=app.now(), actor="scheduler", source="test", workers=2)

    clock.now = datetime(2027, 4, 2, 13, 0, tzinfo=UTC)  # Friday, between the two
    report = reissue_provider(app, "PRV001", reason="fraud", actor="cli:sec", source="cli")
    assert [(r.cycle, r.new_state) for r in report.replaced] == [
        ("2027-03", "active"),
        ("2027-04", "issued"),
    ]

    monday = app.calendar.dates(APRIL).active_from
    clock.now = monday
    activate_now(app, APRIL, actor="scheduler", source="test")
    with app.uow() as uow:
        prv001 = uow.register.get_provider("PRV001")
        assert prv001 is not None
        codes = {
            (str(c.cycle), c.replaces_id is not None): c.state
            for c in uow.session.scalars(
                select(AccessCode).where(AccessCode.provider_id == prv001.id)
            )
        }
        assert codes == {
            ("2027-03", False): "revoked",
            ("2027-03", True): "retired",
            ("2027-04", False): "revoked",
            ("2027-04", True): "active",
        }
        before = code_in_force(uow, prv001.id, monday - timedelta(microseconds=1))
        at = code_in_force(uow, prv001.id, monday)
        assert before is not None and (str(before.cycle), before.replaces_id is not None) == (
            "2027-03",
            True,
        )
        assert at is not None and (str(at.cycle), at.replaces_id is not None) == ("2027-04", True)
    app.close()
