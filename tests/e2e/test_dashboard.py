"""The BMT's month in a real browser: sign in, issue the codes, watch them go out and
come back acknowledged, send one SPoC's email again, export the list for the helpline.

Debian's Chromium against the real app on SQLite and PostgreSQL. The rotation runs in
the web process's own thread, with its process pool, as it would in service. The
screenshots land in test-artifacts/screenshots (the guide's come from there).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from codeservice.bootstrap import Container
from codeservice.documents import decrypt_document
from codeservice.documents.code_list import read_code_list
from codeservice.domain.accounts import Role
from codeservice.domain.calendar import Cycle
from tests.e2e.browser import BrowserProblems, finish_sign_in, looks_like_govuk, screenshot
from tests.integration.web.links import outbox_rows
from tests.integration.web.staff import PASSWORD, audit_actions, make_staff
from tests.support.clock import Clock
from tests.support.dashboard import (
    APRIL,
    ISSUE_DAY,
    REGISTER,
    Mailbox,
    acknowledge_as,
    import_example_register,
    issue,
    work_outbox,
)
from tests.support.reading import board_of
from tests.support.register import import_register

pytestmark = pytest.mark.slow

MARCH = Cycle(2027, 3)
MARCH_ISSUE_DAY = datetime(2027, 2, 24, 9, 0, tzinfo=UTC)  # Wed 24 Feb 2027, 09:00 GMT
BEFORE_APRIL = datetime(2027, 3, 30, 9, 15, tzinfo=UTC)  # Tue 30 Mar, 10:15 BST
THURSDAY = datetime(2027, 4, 1, 14, 0, tzinfo=UTC)  # Thu 1 Apr, 15:00 BST
FAILING = "fiona.macleod@example.org"
TOM = "tom.whitaker@example.org"
NADIA = "nadia.khan@example.org"
SPOCS = [
    "priya.raman@example.org", TOM, "a.okafor@example.com", "g.lloyd@example.com",
    "m.price@example.com", "daniel.hughes@example.net", "sofia.marini@example.org",
    "olu.adeyemi@example.org", "rhiannon.evans@example.com", "h.sandhu@example.net",
    "c.bennett@example.net", FAILING, "marcus.reid@example.com", "leah.goldberg@example.com",
    "kwame.mensah@example.com",
]  # fmt: skip


def _march_went_well(container: Container, clock: Clock) -> None:
    """March was issued on its day and every SPoC acknowledged within the week."""
    mailbox = Mailbox()
    clock.now = MARCH_ISSUE_DAY
    issue(container, MARCH)
    work_outbox(container, mailbox)
    for index, email in enumerate(SPOCS):
        clock.now = MARCH_ISSUE_DAY + timedelta(hours=2 + 9 * index)
        acknowledge_as(container, mailbox, email)
    work_outbox(container, mailbox)


def _april_goes_out(container: Container, clock: Clock) -> Mailbox:
    """The mail worker sends April's emails; one address bounces; SPoCs acknowledge."""
    mailbox = Mailbox()
    clock.now = ISSUE_DAY + timedelta(minutes=5)
    work_outbox(container, mailbox, failing=[FAILING])
    for hours, email in [
        (1, "priya.raman@example.org"), (2, "a.okafor@example.com"),
        (3, "sofia.marini@example.org"), (5, "daniel.hughes@example.net"),
        (6, "h.sandhu@example.net"), (20, "marcus.reid@example.com"),
        (24, "rhiannon.evans@example.com"), (26, "g.lloyd@example.com"),
    ]:  # fmt: skip
        clock.now = ISSUE_DAY + timedelta(hours=hours)
        acknowledge_as(container, mailbox, email)
    work_outbox(container, mailbox, failing=[FAILING])
    return mailbox


def _sign_in(page: Page, live_server: str, name: str, next_path: str, container: Container) -> None:
    page.goto(f"{live_server}/sign-in?next={quote(next_path, safe='')}")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    finish_sign_in(page, container, name)
    expect(page).to_have_url(live_server + next_path)


def test_the_bmt_issues_april_and_follows_it_to_a_resend_and_an_export(
    web_container: Container,
    clock: Clock,
    live_server: str,
    page: Page,
    problems: BrowserProblems,
) -> None:
    import_example_register(web_container)
    make_staff(web_container, "ann.lee", Role.BMT, display_name="Ann Lee")
    _march_went_well(web_container, clock)

    # Tuesday 30 March: April is not issued yet; the BMT issues it early, from the page.
    clock.now = BEFORE_APRIL
    _sign_in(page, live_server, "ann.lee", "/bmt", web_container)
    looks_like_govuk(page)
    april = page.locator("#cycle-2027-04")
    expect(april).to_contain_text("Not issued yet: due on Wednesday 31 March 2027 at 09:00")
    expect(page.locator("#cycle-2027-03-counts")).to_contain_text("15")
    screenshot(page, "bmt-1-before-issue")

    april.get_by_role("button", name="Issue the codes now").click()
    expect(page.locator("h1")).to_have_text("Issue the codes for April 2027?")
    page.get_by_role("button", name="Issue the codes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Confirm that the register is up to date"
    )
    page.get_by_label("I have checked the register").check()
    screenshot(page, "bmt-2-confirm-rotation")
    page.get_by_role("button", name="Issue the codes").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Codes issued", timeout=120_000)
    expect(page.locator(".govuk-panel")).to_contain_text("8 issued now, 0 already had theirs")
    screenshot(page, "bmt-3-rotation-done")
    assert board_of(web_container, APRIL).counts.codes_issued == 8

    # Thursday 1 April: the emails went out, one bounced; eight SPoCs acknowledged.
    _april_goes_out(web_container, clock)
    clock.now = THURSDAY
    _sign_in(page, live_server, "ann.lee", "/bmt", web_container)
    counts = page.locator("#cycle-2027-04-counts")
    expect(counts).to_contain_text("14")  # of 15 SPoCs sent email 1
    expect(page.locator("#cycle-2027-04")).to_contain_text("1 email is failing")
    chart = page.locator("#cycle-2027-04-chart")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() == 2  # Wed 31 Mar and Thu 1 Apr
    assert chart.bounding_box()["width"] > 600  # type: ignore[index]
    looks_like_govuk(page)
    screenshot(page, "bmt-4-dashboard")

    page.locator("#cycle-2027-04").get_by_role("link", name="See which").click()
    expect(page.locator("#deliveries tbody tr")).to_have_count(1)
    expect(page.locator("#deliveries")).to_contain_text("Email 1 failing")
    screenshot(page, "bmt-5-failing")

    # Tom says he never got his email: send email 1 again, with a new link.
    page.get_by_role("link", name="Not acknowledged").click()
    page.get_by_role("link", name="Resend email 1 to Tom Whitaker").click()
    expect(page.locator("h1")).to_have_text("Send email 1 again to Tom Whitaker?")
    screenshot(page, "bmt-6-confirm-resend")
    page.get_by_role("button", name="Send email 1 again").dblclick()  # an impatient double click
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Email 1 is on its way again to tom.whitaker@example.org")
    screenshot(page, "bmt-7-resent")
    documents_to_tom = [
        row for row in outbox_rows(web_container) if row[1:] == (TOM, "access-code-document")
    ]
    assert len(documents_to_tom) == 3  # March's, April's, and April's sent again once

    # Northfield names a new SPoC: the register is imported and she is sent April's code.
    line = f"PRV001,Northfield Employment Services Ltd,,Nadia Khan,{NADIA},,,\n"
    data = REGISTER.read_bytes() + line.encode()
    import_register(web_container, data, "register.csv", actor="test", source="test")
    page.goto(live_server + "/bmt/cycles/2027-04")
    panel = page.locator("#new-spocs-panel")
    expect(panel).to_contain_text(f"Nadia Khan ({NADIA}), Northfield Employment Services Ltd")
    screenshot(page, "bmt-11-new-spoc")
    panel.get_by_role("button", name="Send them this cycle's document").click()
    expect(page.locator("h1")).to_have_text("Send this cycle's document to 1 new SPoC?")
    screenshot(page, "bmt-12-confirm-new-spoc")
    page.get_by_role("button", name="Send them this cycle's document").dblclick()
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("This cycle's document is on its way to 1 new SPoC")
    expect(page.locator("#new-spocs-panel")).to_have_count(0)
    documents_to_nadia = [
        row for row in outbox_rows(web_container) if row[1:] == (NADIA, "access-code-document")
    ]
    assert len(documents_to_nadia) == 1

    # The register, searched: who gets the codes.
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Find a provider").fill("harbour")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#register tbody tr")).to_have_count(2)  # PRV002 and SUB201
    expect(page.locator("#provider-PRV002")).to_contain_text("g.lloyd@example.com")
    screenshot(page, "bmt-10-register")

    # Export the code list for the helpline; the unlock code is shown once.
    page.goto(live_server + "/bmt")
    page.locator("#cycle-2027-04").get_by_role("button", name="Export the code list").click()
    expect(page.get_by_label("April 2027 (cycle 2027-04)")).to_be_checked()
    screenshot(page, "bmt-8-export")
    page.get_by_role("button", name="Export the code list").click()
    unlock_code = page.locator("#unlock-code").inner_text()
    assert re.fullmatch(r"[a-z0-9]{4}(-[a-z0-9]{4}){4}", unlock_code), unlock_code
    screenshot(page, "bmt-9-export-ready")
    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile("^Download")).click()
    download = download_info.value
    # Chromium reports a response that becomes a download as an aborted request.
    problems.messages.remove(f"request failed: {live_server}/bmt/export/download")
    assert download.suggested_filename == "provider-direct-code-list-2027-04.docx"
    rows = read_code_list(decrypt_document(download.path().read_bytes(), unlock_code))
    assert [ref for ref, _ in rows] == [f"PRV00{n}" for n in range(1, 9)]

    page.get_by_role("button", name=re.compile("^Download")).click()  # a second time
    expect(page.locator("h1")).to_have_text("This page is no longer available")
    actions = [action for action, _, _ in audit_actions(web_container)]
    assert actions.count("mail:document:resend") == 1
    assert actions.count("code:list:export") == 1
    assert "cycle:rotation:request" in actions
    assert problems.messages == []
