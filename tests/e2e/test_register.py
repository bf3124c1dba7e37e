"""The register in Chromium: a CSV uploaded, previewed, applied once; a provider edited.

Every state of the journey, error pages included, passes axe-core.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.domain.register import MAX_NAME_LENGTH
from tests.e2e.browser import finish_sign_in, screenshot
from tests.e2e.test_accessibility import Checker, _fail_on, axe_page, axe_source
from tests.integration.web.staff import PASSWORD, audit_actions, make_staff
from tests.support.clock import Clock
from tests.support.dashboard import APRIL, ISSUE_DAY, REGISTER, issue
from tests.support.register import import_register_file

pytestmark = pytest.mark.slow
__all__ = ["axe_page", "axe_source"]  # the fixtures this module uses


def test_the_register_is_uploaded_previewed_applied_and_edited(
    web_container: Container,
    live_server: str,
    axe_page: Page,
    axe_source: str,
    tmp_path: Path,
) -> None:
    make_staff(web_container, "bmt.user", Role.BMT)
    checker = Checker(axe_page, live_server, axe_source, web_container)
    checker.sign_in("bmt.user")
    page = axe_page
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,name,prime_ref,spoc_name,spoc_email\nPRV001,,,Ann Lee,nobody\n")

    page.get_by_role("link", name="Register").first.click()
    page.get_by_role("button", name="Upload the register").click()
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select a CSV file")
    checker.check("register upload without a file")

    page.get_by_label("Register file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("#problems")).to_contain_text("bad.csv:2: name is empty")
    checker.check("register file with bad lines")
    screenshot(page, "bmt-register-problems")

    page.get_by_role("link", name="Upload the file again").click()
    page.get_by_label("Register file").set_input_files(str(REGISTER))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the changes before you apply them"
    )
    checker.check("register preview")
    screenshot(page, "bmt-register-preview")
    page.get_by_role("button", name="Apply these changes").dblclick()
    expect(page.locator(".govuk-panel")).to_contain_text("The register is updated")
    checker.check("register applied")
    assert len(audit_actions(web_container, "register:import:apply")) == 1

    page.get_by_role("link", name="Back to the register").click()
    page.get_by_role("link", name="PRV001").click()
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_role("button", name="Change the name").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the provider's name")
    checker.check("provider rename with an empty name")
    page.get_by_label("Name", exact=True).fill("Northfield Group Ltd")
    page.get_by_role("button", name="Change the name").click()
    expect(page.locator("#done")).to_contain_text("The provider's name is changed.")
    for field, typed in (("received", "10 3 2027"), ("approved", "9 3 2027")):
        for part, number in zip(("day", "month", "year"), typed.split(), strict=True):
            page.locator(f"#{field}-{part}").fill(number)
    page.get_by_role("button", name="Save the security plan dates").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The date the plan was approved must be the same as or after the date the plan was received"
    )
    expect(page.locator("#approved-error")).to_be_visible()
    checker.check("security plan approved before received")
    page.locator("#approved-day").fill("15")
    page.get_by_role("button", name="Save the security plan dates").click()
    expect(page.locator("#done")).to_contain_text("The security plan's dates are recorded.")
    expect(page.locator("#details")).to_contain_text("approved 2027-03-15")
    page.get_by_label("Full name").fill("Cat Diaz")
    page.get_by_label("Email address").fill("cat.diaz@example.org")
    page.get_by_role("button", name="Add the SPoC").click()
    expect(page.locator("#spocs")).to_contain_text("cat.diaz@example.org")
    expect(page.locator("#history")).to_contain_text("SPoC added: Cat Diaz")
    page.get_by_role("button", name="Deactivate Tom Whitaker").click()
    expect(page.locator("#done")).to_contain_text("The SPoC is deactivated")
    expect(page.locator("#spocs")).not_to_contain_text("<span")
    checker.check("provider page")
    screenshot(page, "bmt-provider")
    _fail_on(checker.findings)


LONG_NAME = ("Supercalifragilisticexpialidocious" * 8)[:MAX_NAME_LENGTH]
LONG_EMAIL = "a" * 30 + "." + "b" * 30 + "@" + "averyverylongdepartmentname." * 4 + "example.org"


def test_a_name_or_address_with_no_spaces_wraps_and_still_gets_its_code(
    web_container: Container, clock: Clock, live_server: str, page: Page, tmp_path: Path
) -> None:
    """The register allows a 255-character name and a 254-character address, with no
    space in either: the provider gets its document, and no page grows wider than the
    window to show them."""
    clock.now = ISSUE_DAY
    register = tmp_path / "register.csv"
    register.write_text(
        REGISTER.read_text(encoding="utf-8")
        + f"PRV009,{LONG_NAME},,{LONG_NAME},{LONG_EMAIL},2026-01-05,2026-01-12,\n",
        encoding="utf-8",
    )
    import_register_file(web_container, register, actor="test", source="test")
    report = issue(web_container)
    assert not report.failed, report.failed
    make_staff(web_container, "bmt.user", Role.BMT, display_name=LONG_NAME)
    page.goto(f"{live_server}/sign-in")
    page.get_by_role("textbox", name="Username").fill("bmt.user")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    finish_sign_in(page, web_container, "bmt.user")
    page.set_viewport_size({"width": 1024, "height": 800})
    for path in ("/bmt/register", "/bmt/register/PRV009", f"/bmt/cycles/{APRIL}", "/staff"):
        page.goto(live_server + path)
        expect(page.locator("main")).to_contain_text(LONG_NAME[:40])
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1024, f"{path} is {width} pixels wide"
    screenshot(page, "bmt-provider-long-name")
    # A table that comes to need more room than its region after the page is laid out
    # (the web font arriving late, say) becomes a region the keyboard reaches and
    # scrolls; the region of one that fits is no tab stop.
    page.goto(f"{live_server}/bmt/register")
    region = page.locator(".app-table-region").first
    expect(region).not_to_have_attribute("tabindex", "0")
    region.locator("table").evaluate("table => { table.style.minWidth = '3000px'; }")
    expect(region).to_have_attribute("tabindex", "0")
    expect(region).to_have_attribute("role", "region")
    region.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("r => r.scrollLeft > 0", arg=region.element_handle())
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    page.emulate_media(media="print")  # on paper, nothing scrolls: the table is whole
    assert region.evaluate("r => getComputedStyle(r).overflowX") == "visible"
    page.emulate_media(media="screen")
