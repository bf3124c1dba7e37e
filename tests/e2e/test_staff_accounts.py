"""Staff accounts in Chromium: an admin adds an account, the person sets their password
from the emailed link, signs in, sees their sign-ins and changes their password; the
admin resets it. Every state passes axe-core, error states included."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.e2e.browser import screenshot
from tests.e2e.test_accessibility import Checker, _fail_on, axe_page, axe_source
from tests.integration.web.links import set_password_link
from tests.integration.web.staff import NEW_PASSWORD, make_staff

pytestmark = pytest.mark.slow
__all__ = ["axe_page", "axe_source"]  # the fixtures this module uses

CHOSEN = "quiet harbour lantern 48"  # noqa: S105


def test_an_account_is_added_and_its_password_set_from_the_link(
    web_container: Container, live_server: str, axe_page: Page, axe_source: str
) -> None:
    make_staff(web_container, "root.admin", Role.ADMIN, display_name="Rosa Admin")
    checker = Checker(axe_page, live_server, axe_source, web_container)
    page = axe_page
    checker.sign_in("root.admin")
    checker.check("accounts")

    page.get_by_role("button", name="Add a staff account").click()
    page.get_by_label("Username").fill("nadia.khan")
    page.get_by_label("Email address").fill("nadia at example")
    page.get_by_role("button", name="Add account and send the link").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose what the account")
    checker.check("new account with errors")
    page.get_by_label("Name", exact=True).fill("Nadia Khan")
    page.get_by_label("Email address").fill("nadia.khan@example.gov.uk")
    page.get_by_label("Business Management Team").check()
    screenshot(page, "admin-new-account")
    page.get_by_role("button", name="Add account and send the link").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("link")
    checker.check("account added")
    screenshot(page, "admin-account")

    page.goto(live_server + "/admin/accounts/root.admin")
    page.get_by_role("button", name="Disable account").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("last active administrator")
    checker.check("last admin refused")
    screenshot(page, "admin-last-admin")
    page.context.clear_cookies()

    link = set_password_link(web_container, "nadia.khan@example.gov.uk")
    checker.visit(link, "set password")
    page.get_by_label("New password", exact=True).fill("password1234")
    page.get_by_label("New password again").fill("password1234")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("too easy to guess")
    checker.check("set password refused")
    page.get_by_label("New password", exact=True).fill(CHOSEN)
    page.get_by_label("New password again").fill(CHOSEN)
    screenshot(page, "set-password")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Your password is set")
    checker.check("password set")
    assert checker.visit(link, "link used") == 410
    screenshot(page, "set-password-link-used")

    checker.sign_in("nadia.khan", CHOSEN)
    checker.visit("/staff", "your account")
    expect(page.get_by_role("table", name="Your recent sign-ins")).to_contain_text("Signed in")
    screenshot(page, "staff-your-account")
    page.get_by_role("link", name="Change your password").click()
    page.get_by_label("Current password").fill("not it at all, sorry")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#current_password-error")).to_be_visible()
    checker.check("change password refused")
    page.get_by_label("Current password").fill(CHOSEN)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("changed")
    checker.check("password changed")
    _fail_on(checker.findings)
