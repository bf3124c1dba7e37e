"""Second factors in Debian's Chromium: a security key through Chromium's virtual
authenticator (CDP ``WebAuthn``), an authenticator app, a recovery code used once, and
an administrator's reset followed by setting one up again.

WebAuthn needs a secure context and a domain for its RP ID (never an IP address):
the service's address here is ``http://localhost``, which browsers treat as secure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.e2e.browser import BrowserProblems, screenshot, set_up_app
from tests.e2e.test_accessibility import AXE, Checker, _fail_on
from tests.integration.web.links import set_password_link
from tests.integration.web.staff import audit_actions, make_staff
from tests.support.clock import Clock
from tests.support.second_factor import app_code

pytestmark = pytest.mark.slow
CHOSEN = "quiet harbour lantern 48"  # noqa: S105


@pytest.fixture
def web_container(container: Container, clock: Clock) -> Iterator[Container]:
    """The service at http://localhost (its RP ID); the live server's port is its own."""
    settings = dataclasses.replace(container.settings, base_url="http://localhost:8000")
    built = Container(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def axe_js() -> str:
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def site(live_server: str) -> str:
    return live_server.replace("127.0.0.1", "localhost")


@pytest.fixture
def key_page(browser: Browser, problems: BrowserProblems) -> Iterator[Page]:
    """A page whose browser holds a virtual passkey authenticator (CTAP2, internal)."""
    context = browser.new_context(viewport={"width": 1024, "height": 900}, bypass_csp=True)
    page = problems.watch(context.new_page())
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield page
    context.close()


def _password(page: Page, site: str, name: str, password: str) -> None:
    page.goto(site + "/sign-in")
    page.get_by_role("textbox", name="Username").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _sign_out(page: Page, site: str) -> None:
    page.goto(site + "/staff")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("You have signed out")


def test_a_new_person_sets_up_a_key_an_app_uses_a_recovery_code_and_is_reset(
    web_container: Container,
    clock: Clock,
    site: str,
    key_page: Page,
    problems: BrowserProblems,
    axe_js: str,
) -> None:
    page = key_page
    make_staff(web_container, "root.admin", Role.ADMIN, display_name="Rosa Admin")
    checker = Checker(page, site, axe_js, web_container)

    # An administrator adds Nadia; she sets her password from the emailed link.
    checker.sign_in("root.admin")
    page.goto(site + "/admin/accounts/new")
    page.get_by_label("Username").fill("nadia.khan")
    page.get_by_label("Name", exact=True).fill("Nadia Khan")
    page.get_by_label("Email address").fill("nadia.khan@example.gov.uk")
    page.get_by_label("Business Management Team").check()
    page.get_by_role("button", name="Add account and send the link").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("link")
    page.context.clear_cookies()
    page.goto(site + set_password_link(web_container, "nadia.khan@example.gov.uk"))
    page.get_by_label("New password", exact=True).fill(CHOSEN)
    page.get_by_label("New password again").fill(CHOSEN)
    page.get_by_role("button", name="Set password").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Your password is set")

    # Her first sign-in: a second factor before anything else. A security key.
    _password(page, site, "nadia.khan", CHOSEN)
    expect(page.locator("h1")).to_have_text("Set up a second factor")
    assert page.goto(site + "/bmt") is not None
    expect(page.locator("h1")).to_have_text("Sign in")  # half signed in: nothing else
    page.goto(site + "/sign-in/set-up")
    checker.check("set up a second factor")
    screenshot(page, "staff-second-factor-set-up")
    page.get_by_role("textbox", name="Name for this key (optional)").fill("Laptop passkey")
    page.get_by_role("button", name="Set up a security key").click()
    expect(page.locator("h1")).to_have_text("Your recovery codes")
    codes = page.locator(".app-recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    checker.check("recovery codes")
    screenshot(page, "staff-recovery-codes")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(site + "/bmt")
    _sign_out(page, site)

    # Signing in with the key.
    _password(page, site, "nadia.khan", CHOSEN)
    expect(page.locator("h1")).to_have_text("Confirm it is you")
    checker.check("second step with a key")
    screenshot(page, "staff-second-factor-key")
    page.get_by_role("button", name="Use a security key").click()
    expect(page).to_have_url(site + "/bmt")

    # An authenticator app as well, from her account.
    page.goto(site + "/staff")
    page.get_by_role("link", name="Your second factors and recovery codes").click()
    page.get_by_role("link", name="Add an authenticator app").click()
    expect(page.locator("h1")).to_have_text("Add an authenticator app")
    checker.check("add an app")
    screenshot(page, "staff-add-app")
    key = page.locator("#totp-key").inner_text()
    page.get_by_role("textbox", name="Name for this app (optional)").fill("Work phone")
    page.get_by_role("textbox", name="Code from the app").fill("000000")
    page.get_by_role("button", name="Add the app").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    checker.check("add an app, wrong code")
    page.get_by_role("textbox", name="Code from the app").fill(app_code(key, web_container))
    page.get_by_role("button", name="Add the app").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("authenticator app")
    expect(page.locator("table")).to_contain_text("Laptop passkey")
    expect(page.locator("table")).to_contain_text("Work phone")
    checker.check("your second factors")
    screenshot(page, "staff-second-factors")
    _sign_out(page, site)

    # Signing in with the app's code (the next time step: the last one is used).
    clock.now += timedelta(seconds=30)
    _password(page, site, "nadia.khan", CHOSEN)
    page.get_by_role("textbox", name="Code from your authenticator app").fill(
        app_code(key, web_container)
    )
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(site + "/bmt")
    _sign_out(page, site)

    # A recovery code: once, and not twice.
    for attempt in ("first", "second"):
        _password(page, site, "nadia.khan", CHOSEN)
        page.get_by_role("link", name="Use a recovery code instead").click()
        page.get_by_role("textbox", name="Recovery code").fill(codes[0])
        page.get_by_role("button", name="Continue").click()
        if attempt == "first":
            expect(page).to_have_url(site + "/bmt")
            _sign_out(page, site)
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    checker.check("recovery code refused")
    screenshot(page, "staff-recovery-code-refused")
    page.context.clear_cookies()

    # Nadia has lost everything: an administrator resets her second factor.
    checker.sign_in("root.admin")
    page.goto(site + "/admin/accounts/nadia.khan")
    expect(page.locator("main")).to_contain_text("Laptop passkey")
    page.get_by_role("button", name="Reset second factors").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "second factors and recovery codes have been removed"
    )
    checker.check("second factors reset")
    screenshot(page, "admin-second-factor-reset")
    page.context.clear_cookies()

    # She sets one up again at her next sign-in: an app this time.
    _password(page, site, "nadia.khan", CHOSEN)
    expect(page.locator("h1")).to_have_text("Set up a second factor")
    page.get_by_role("textbox", name="Code from the app").fill("12")
    page.get_by_role("button", name="Set up the app").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("6-digit code")
    checker.check("set up, wrong code")
    set_up_app(page, web_container, "nadia.khan", app_name="New phone")
    expect(page.locator("h1")).to_have_text("Your recovery codes")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(site + "/bmt")

    assert urlsplit(page.url).hostname == "localhost"
    enrolled = audit_actions(web_container, "staff:factor:enrol")
    kinds = [d["kind"] for _, actor, d in enrolled if actor == "user:nadia.khan"]
    assert kinds == ["webauthn", "totp", "totp"]
    assert len(audit_actions(web_container, "staff:factor:recovery_use")) == 1
    assert len(audit_actions(web_container, "staff:factor:reset")) == 1
    _fail_on(checker.findings)
    # A page left at once (a favicon still loading) is not a problem of the page.
    assert [m for m in problems.messages if not m.endswith("/favicon.svg")] == []
