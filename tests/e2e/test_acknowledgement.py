"""A SPoC opens their link in a real browser and confirms receipt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from codeservice.bootstrap import Container
from tests.e2e.browser import BrowserProblems, looks_like_govuk, screenshot
from tests.integration.web.links import NOW, make_ack_link, outbox_rows

pytestmark = pytest.mark.slow

GOVUK_GREEN = "rgb(15, 122, 82)"  # $govuk-button-background-colour (GOV.UK Frontend 6)


def test_a_spoc_confirms_receipt(
    web_container: Container,
    live_server: str,
    page: Page,
    problems: BrowserProblems,
) -> None:
    link = make_ack_link(web_container)

    page.goto(live_server + link.path)
    looks_like_govuk(page)
    expect(page.locator("h1")).to_have_text("Confirm you have received the access code document")
    expect(page.locator("main")).to_contain_text("Northfield Ltd")
    button = page.get_by_role("button", name="Confirm receipt")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == GOVUK_GREEN
    # The file-loaded replacement of the template's inline script ran, and initAll().
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    assert button.get_attribute("data-govuk-button-init") is not None
    screenshot(page, "ack-1-confirm")

    button.click()
    expect(page.locator("h1")).to_have_text("Receipt confirmed")
    expect(page.locator("main")).to_contain_text(
        "We have emailed the unlock code to ann.lee@example.org. It may take a few minutes."
    )
    looks_like_govuk(page)
    screenshot(page, "ack-2-confirmed")

    page.go_back()  # pages are never cached: this asks the server again
    expect(page.locator("h1")).to_have_text("You have already confirmed receipt")
    expect(page.locator("main")).to_contain_text("Thursday 1 April 2027 at 10:30")
    screenshot(page, "ack-3-already-confirmed")

    assert [r[1:] for r in outbox_rows(web_container)] == [("ann.lee@example.org", "unlock-code")]
    assert problems.messages == []


def test_pressing_the_button_again_in_another_tab_sends_nothing_more(
    web_container: Container,
    live_server: str,
    page: Page,
    problems: BrowserProblems,
) -> None:
    link = make_ack_link(web_container)
    second_tab = problems.watch(page.context.new_page())
    page.goto(live_server + link.path)
    second_tab.goto(live_server + link.path)

    page.get_by_role("button", name="Confirm receipt").click()
    expect(page.locator("h1")).to_have_text("Receipt confirmed")
    second_tab.get_by_role("button", name="Confirm receipt").click()

    expect(second_tab.locator("h1")).to_have_text("You have already confirmed receipt")
    looks_like_govuk(second_tab)
    screenshot(second_tab, "ack-4-confirmed-again")
    assert len(outbox_rows(web_container)) == 1
    assert problems.messages == []


def test_an_expired_link_says_whom_to_contact(
    web_container: Container,
    live_server: str,
    page: Page,
    problems: BrowserProblems,
) -> None:
    link = make_ack_link(web_container, expires_at=NOW - timedelta(minutes=1))

    response = page.goto(live_server + link.path)

    assert response is not None and response.status == 410
    expect(page.locator("h1")).to_have_text("This link has expired")
    expect(page.locator("main")).to_contain_text("Business Management Team")
    expect(page.get_by_role("button")).to_have_count(0)
    looks_like_govuk(page)
    screenshot(page, "ack-5-expired")
    assert problems.messages == []


def test_confirming_works_without_javascript(
    web_container: Container, live_server: str, browser: Browser
) -> None:
    link = make_ack_link(web_container)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1024, "height": 900}
    )
    page = context.new_page()
    problems = BrowserProblems()
    problems.watch(page)

    page.goto(live_server + link.path)
    button = page.get_by_role("button", name="Confirm receipt")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == GOVUK_GREEN
    screenshot(page, "ack-6-no-javascript")
    button.click()

    expect(page.locator("h1")).to_have_text("Receipt confirmed")
    assert len(outbox_rows(web_container)) == 1
    assert problems.messages == []
    context.close()


def test_the_browser_enforces_the_content_security_policy(
    web_container: Container, live_server: str, page: Page, problems: BrowserProblems
) -> None:
    """Injected inline script is refused, and the refusal is reported to the test."""
    link = make_ack_link(web_container)
    page.goto(live_server + link.path)

    page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'window.injected = true';
            document.body.append(script);
        }"""
    )

    assert page.evaluate("window.injected === undefined")
    assert any("Content Security Policy" in m for m in problems.messages), problems.messages
