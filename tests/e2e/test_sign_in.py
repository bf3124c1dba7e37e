"""A member of staff signs in with the keyboard in a real browser, and out again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.storage.models import StaffUser
from tests.e2e.browser import BrowserProblems, finish_sign_in, looks_like_govuk, screenshot, tab_to
from tests.integration.web.links import NOW, change
from tests.integration.web.staff import PASSWORD, make_staff, make_token
from tests.support.second_factor import next_code

pytestmark = pytest.mark.slow


def test_staff_sign_in_with_the_keyboard(
    web_container: Container, live_server: str, page: Page, problems: BrowserProblems
) -> None:
    make_staff(web_container, "ann.lee", Role.BMT, display_name="Ann Lee")

    page.goto(live_server + "/staff")
    expect(page).to_have_url(live_server + "/sign-in?next=%2Fstaff")
    expect(page.locator("h1")).to_have_text("Sign in")
    looks_like_govuk(page)
    screenshot(page, "sign-in-1-form")

    tab_to(page, "username")
    page.keyboard.type("ann.lee")
    tab_to(page, "password")
    page.keyboard.type("not the password at all")
    page.keyboard.press("Enter")

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter a correct username and password")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(page.locator("#username-error")).to_contain_text("Enter a correct username")
    expect(page.get_by_role("textbox", name="Username")).to_have_value("ann.lee")
    expect(page.get_by_role("textbox", name="Password")).to_have_value("")
    assert page.title().startswith("Error: Sign in")
    screenshot(page, "sign-in-2-wrong-password")

    tab_to(page, "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Confirm it is you")
    screenshot(page, "sign-in-3-second-factor")
    kind, code = next_code(web_container, "ann.lee")
    assert kind == "code"
    tab_to(page, "code")
    page.keyboard.type(code)
    page.keyboard.press("Enter")

    expect(page).to_have_url(live_server + "/staff")
    expect(page.locator("h1")).to_have_text("Your account")
    expect(page.locator("main")).to_contain_text("Signed in as Ann Lee (bmt)")
    expect(page.locator(".govuk-service-navigation")).to_contain_text("Sign out")
    looks_like_govuk(page)
    screenshot(page, "sign-in-3-staff-home")

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("You have signed out")
    screenshot(page, "sign-in-4-signed-out")
    page.go_back()  # pages are not cached: the server is asked and sends to sign in
    expect(page.locator("h1")).to_have_text("Sign in")

    assert problems.messages == []


def test_the_password_can_be_shown_while_typing(
    live_server: str, page: Page, problems: BrowserProblems
) -> None:
    page.goto(live_server + "/sign-in")
    password = page.get_by_role("textbox", name="Password")
    password.fill("vivid otter")

    page.get_by_role("button", name="Show password").click()

    expect(password).to_have_attribute("type", "text")
    assert problems.messages == []


def test_a_locked_account_is_told_when_to_try_again(
    web_container: Container, live_server: str, page: Page, problems: BrowserProblems
) -> None:
    make_staff(web_container, "ann.lee", Role.BMT)
    with web_container.uow() as uow:
        user = uow.accounts.user_named("ann.lee")
        assert user is not None
        user_id = user.id
    change(
        web_container,
        StaffUser,
        user_id,
        failed_attempts=10,
        locked_until=NOW + timedelta(minutes=15),
    )

    page.goto(live_server + "/sign-in")
    page.get_by_role("textbox", name="Username").fill("ann.lee")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "This account is locked because of too many wrong passwords. Try again after "
        "Thursday 1 April 2027 at 10:45, or ask an administrator to unlock it."
    )
    looks_like_govuk(page)
    screenshot(page, "sign-in-5-locked")
    assert problems.messages == []


def test_only_an_administrator_sees_accounts_and_tokens(
    web_container: Container, live_server: str, page: Page, problems: BrowserProblems
) -> None:
    make_staff(web_container, "root.admin", Role.ADMIN, display_name="Sam Patel")
    make_staff(web_container, "ann.lee", Role.BMT, display_name="Ann Lee")
    make_token(web_container, "helpline-crm", Role.AGENT)

    page.goto(live_server + "/admin/accounts")
    page.get_by_role("textbox", name="Username").fill("root.admin")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    finish_sign_in(page, web_container, "root.admin")

    expect(page.locator("h1")).to_have_text("Staff accounts and API tokens")
    expect(page.locator("table").first).to_contain_text("ann.lee")
    expect(page.locator("table").last).to_contain_text("helpline-crm")
    looks_like_govuk(page)
    screenshot(page, "admin-accounts")

    other = problems.watch(page.context.browser.new_context().new_page())  # type: ignore[union-attr]
    other.goto(live_server + "/sign-in")
    other.get_by_role("textbox", name="Username").fill("ann.lee")
    other.get_by_role("textbox", name="Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    finish_sign_in(other, web_container, "ann.lee")
    expect(other).to_have_url(live_server + "/bmt")  # the BMT lands on its dashboard
    response = other.goto(live_server + "/admin/accounts")

    assert response is not None and response.status == 403
    expect(other.locator("h1")).to_have_text("You cannot do that")
    screenshot(other, "admin-accounts-refused")
    other.context.close()
    assert problems.messages == []
