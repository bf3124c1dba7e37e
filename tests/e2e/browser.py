"""What a browser test watches and keeps: problems the page reports, and screenshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Response, expect

from codeservice.bootstrap import Container
from tests.support.second_factor import app_code, next_code, remember

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@dataclass
class BrowserProblems:
    """Console errors, uncaught exceptions and failed requests seen by a page."""

    messages: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))
        page.on(
            "requestfailed",
            lambda request: self.messages.append(f"request failed: {request.url}"),
        )
        page.on("response", self._response)
        return page

    def _response(self, response: Response) -> None:
        # A page may answer 404 or 410 on purpose; what it loads must not fail.
        if response.status >= 400 and response.request.resource_type != "document":
            self.messages.append(f"{response.status} for {response.url}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type not in {"error", "warning"}:
            return
        about_the_page_itself = message.page is not None and message.location.get("url") == (
            message.page.url
        )
        if message.text.startswith("Failed to load resource") and about_the_page_itself:
            return  # the page's own 404/410, which the test asserts on
        self.messages.append(f"console {message.type}: {message.text}")


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def second_step(page: Page, container: Container, name: str) -> None:
    """After the password: the code a person would type at ``now`` (see
    ``tests.support.second_factor``) — the app's, or one of their recovery codes."""
    kind, code = next_code(container, name)
    if kind == "recovery":
        page.get_by_role("link", name="Use a recovery code instead").click()
        page.get_by_role("textbox", name="Recovery code").fill(code)
    else:
        page.get_by_role("textbox", name="Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Continue").click()


def set_up_app(page: Page, container: Container, name: str, *, app_name: str = "") -> list[str]:
    """On the set-up page: add the key shown to an app (pyotp), send its code, and keep
    the recovery codes shown; then continue. The recovery codes."""
    key = page.locator("#totp-key").inner_text()
    if app_name:
        page.get_by_role("textbox", name="Name for this app (optional)").fill(app_name)
    page.get_by_role("textbox", name="Code from the app").fill(app_code(key, container))
    page.get_by_role("button", name="Set up the app").click()
    codes = page.locator(".app-recovery-codes code").all_inner_texts()
    remember(container, name, key, codes)
    return codes


def finish_sign_in(page: Page, container: Container, name: str) -> None:
    """Whatever comes after a right password: the second step, or setting one up."""
    page.wait_for_load_state("load")
    path = urlsplit(page.url).path
    if path == "/sign-in/second-factor":
        second_step(page, container, name)
    elif path == "/sign-in/set-up":
        set_up_app(page, container, name)
        page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")


def looks_like_govuk(page: Page) -> None:
    """The GOV.UK Frontend CSS and fonts were applied, not just loaded."""
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('19px \"GDS Transport\"')")
    font = page.locator("h1").evaluate("e => getComputedStyle(e).fontFamily")
    assert "GDS Transport" in font
    expect(page.locator(".govuk-header")).to_be_visible()
    expect(page.locator(".govuk-service-navigation")).to_contain_text(
        "Provider Direct access codes"
    )
    expect(page.locator(".govuk-footer")).to_be_visible()


def tab_to(page: Page, element_id: str) -> None:
    """Press Tab until the element has focus, as someone without a mouse would."""
    for _ in range(30):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")
