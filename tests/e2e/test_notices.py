"""The BMT tells every SPoC at once (§56), in Chromium: write, preview, send, watch.

Every state of the journey passes axe-core; the confirmation pressed twice sends once.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.e2e.browser import screenshot
from tests.e2e.test_accessibility import Checker, _fail_on, axe_page, axe_source
from tests.integration.web.links import outbox_rows
from tests.integration.web.staff import make_staff
from tests.support.dashboard import Mailbox, import_example_register, work_outbox

pytestmark = pytest.mark.slow
__all__ = ["axe_page", "axe_source"]  # the fixtures this module uses

SUBJECT = "Provider Direct cannot take calls this morning"
TEXT = "Our telephone system has failed.\n\nWe expect calls back by 2pm."


def test_a_notice_is_previewed_sent_once_and_followed(
    web_container: Container, live_server: str, axe_page: Page, axe_source: str
) -> None:
    import_example_register(web_container)
    make_staff(web_container, "bmt.user", Role.BMT)
    checker = Checker(axe_page, live_server, axe_source, web_container)
    checker.sign_in("bmt.user")
    page = axe_page

    page.get_by_role("link", name="Notices to SPoCs").click()
    checker.check("no notices yet")
    page.get_by_role("button", name="Tell every SPoC").click()
    page.get_by_label("Subject").fill("Calls \x07down")
    page.get_by_role("button", name="Preview the email").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("control character")
    checker.check("notice with a control character")

    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Text").fill(TEXT)
    page.get_by_role("button", name="Preview the email").click()
    expect(page.locator("#audience")).to_contain_text("It goes to 15 active SPoCs")
    expect(page.locator("#email-subject")).to_have_text(f"Provider Direct: {SUBJECT}")
    checker.check("notice preview")
    screenshot(page, "bmt-notice-preview")

    page.get_by_role("button", name="Send to 15 SPoCs").dblclick()
    expect(page.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    assert len([row for row in outbox_rows(web_container) if row[2] == "notice"]) == 15
    work_outbox(web_container, Mailbox(), failing=["a.okafor@example.com"])
    page.reload()
    expect(page.locator("#counts")).to_contain_text("Sent")
    checker.check("notice delivery")
    screenshot(page, "bmt-notice-delivery")

    page.get_by_role("link", name="Notices to SPoCs").first.click()
    expect(page.locator("#notices")).to_contain_text(SUBJECT)
    checker.check("notices")
    _fail_on(checker.findings)
