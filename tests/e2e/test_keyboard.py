"""Every journey done with the keyboard alone, in Chromium: Tab, Shift+Tab, Enter, Space
and typing — never a click. Each element reached shows the GOV.UK focus style, and the
skip link takes focus to the main content.

Two browser sessions: a SPoC, then the BMT, in the month's world; an agent at the
helpline in the helpline's world. Opening a link from an email is a ``goto``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.e2e.test_helpline_console import (
    search_and_start,
    second_step_with_keys,
    sign_in_with_keys,
    type_characters,
)
from tests.integration.web.helpline_world import DURING_APRIL, chars, make_world
from tests.integration.web.staff import PASSWORD, make_staff
from tests.support.clock import Clock
from tests.support.dashboard import (
    ISSUE_DAY,
    REGISTER,
    Mailbox,
    import_example_register,
    issue,
    work_outbox,
)

pytestmark = pytest.mark.slow

SPOC = "priya.raman@example.org"
FOCUS_YELLOW = "rgb(255, 221, 0)"  # $govuk-focus-colour
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  // A radio or checkbox is drawn by its label: the focus ring is on the label's ::before.
  const drawn = ['radio', 'checkbox'].includes(e.type);
  const style = drawn ? getComputedStyle(e.nextElementSibling, '::before') : getComputedStyle(e);
  return {
    id: e.id,
    text: (e.innerText || e.value || '').replace(/\\s+/g, ' ').trim(),
    style: [style.outlineColor + ' ' + style.outlineStyle, style.backgroundColor,
            style.boxShadow].join(' | '),
  };
}"""


def focus(page: Page, target: str, *, back: bool = False) -> None:
    """Press Tab (Shift+Tab with ``back``) until the element whose id or text is
    ``target`` has focus; it must show the GOV.UK focus style."""
    for _ in range(80):
        now = page.evaluate(FOCUSED)
        if now and target in (now["id"], now["text"]):
            assert FOCUS_YELLOW in now["style"], f"{target}: no visible focus ({now['style']})"
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{target!r} cannot be reached with the keyboard on {page.url}")


def press(page: Page, target: str) -> None:
    """Focus a link or a button with Tab and press Enter: a new page loads."""
    focus(page, target)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page: Page, target: str, text: str) -> None:
    focus(page, target)
    page.keyboard.type(text)


def skip_link_works(page: Page) -> None:
    page.keyboard.press("Tab")
    skip = page.evaluate(FOCUSED)
    assert skip is not None and skip["text"] == "Skip to main content", skip
    assert FOCUS_YELLOW in skip["style"]
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_a_spoc_and_the_bmt_do_everything_with_the_keyboard(
    web_container: Container, clock: Clock, live_server: str, page: Page, tmp_path: Path
) -> None:
    import_example_register(web_container)
    clock.now = ISSUE_DAY
    issue(web_container)
    mailbox = Mailbox()
    clock.now = ISSUE_DAY + timedelta(minutes=5)
    work_outbox(web_container, mailbox)
    clock.now = ISSUE_DAY + timedelta(hours=3)
    make_staff(web_container, "bmt.user", Role.BMT)

    # The SPoC confirms receipt from email 1's link.
    page.goto(f"{live_server}/ack/{mailbox.ack_tokens[SPOC]}")
    skip_link_works(page)
    press(page, "Confirm receipt")
    expect(page.locator("h1")).to_have_text("Receipt confirmed")

    # The SPoC reports an incident from email 1's other link.
    page.goto(f"{live_server}/report/{mailbox.report_tokens[SPOC]}")
    skip_link_works(page)
    type_into(page, "change-date-day", "12")
    page.keyboard.press("Tab")
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    page.keyboard.type("2027")
    focus(page, "reason")
    page.keyboard.press("Space")
    expect(page.locator("#reason")).to_be_checked()
    type_into(page, "details", "A team leader who knew the code was dismissed.")
    focus(page, "change-date-year", back=True)  # and back, to check what was typed
    expect(page.locator("#change-date-year")).to_have_value("2027")
    press(page, "Send report")
    expect(page.locator(".govuk-panel")).to_contain_text("INC-")

    # The BMT signs in, uploads the register, checks the preview and applies it.
    page.goto(f"{live_server}/sign-in")
    skip_link_works(page)
    type_into(page, "username", "bmt.user")
    type_into(page, "password", PASSWORD)
    page.keyboard.press("Enter")
    second_step_with_keys(page, web_container, "bmt.user")
    expect(page.locator("h1")).to_have_text("Access codes dashboard")
    press(page, "Register")
    # Playwright asks Chromium for file choosers without waiting for the answer, so a
    # chooser opened just after ``expect_file_chooser`` could still go to the headless
    # browser's invisible native dialog. Ask before the upload page loads, and keep asking.
    page.on("filechooser", lambda _chooser: None)
    press(page, "Upload the register")
    changed = tmp_path / "register.csv"
    text = REGISTER.read_text(encoding="utf-8")
    changed.write_text(text.replace("Northfield Employment Services Ltd", "Northfield Group Ltd"))
    focus(page, "file")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(changed))
    press(page, "upload")
    expect(page.locator("h1")).to_have_text("Check the changes before you apply them")
    press(page, "apply")
    expect(page.locator(".govuk-panel")).to_contain_text("The register is updated")

    # The BMT tells every SPoC that the helpline cannot take calls.
    press(page, "Notices to SPoCs")
    press(page, "Tell every SPoC")
    type_into(page, "subject", "The helpline is closed this afternoon")
    page.keyboard.press("Tab")
    page.keyboard.type("Provider Direct cannot take calls until 17:00 today.")
    press(page, "preview")
    expect(page.locator("main")).to_contain_text("Provider Direct cannot take calls")
    press(page, "confirm")
    expect(page.locator("h1")).to_have_text("The helpline is closed this afternoon")
    assert re.search(r"/bmt/notices/\d+", page.url)


def test_an_agent_checks_a_caller_with_the_keyboard_alone(
    web_container: Container, clock: Clock, live_server: str, page: Page
) -> None:
    clock.now = DURING_APRIL
    world = make_world(web_container)
    make_staff(web_container, "jo.bloggs", Role.AGENT)

    page.goto(f"{live_server}/sign-in")
    skip_link_works(page)
    sign_in_with_keys(page, live_server, web_container)
    positions = search_and_start(page, "north", "PRV001")
    type_characters(page, chars(world.code(), positions), advancing=True)
    now = page.evaluate(FOCUSED)
    assert now is not None and FOCUS_YELLOW in now["style"]
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-panel__title")).to_have_text("Security check passed")
    skip_link_works(page)
    press(page, "next-call")
    expect(page.locator("h1")).to_have_text("Check a caller")
