"""Every page passes axe-core's WCAG 2.2 AA rules, error states included.

axe-core comes from npm (``node_modules/axe-core``, installed at setup) and runs inside
Debian's Chromium on the real app. A SPoC's pages are visited from the links in their
own emails. Each kind of staff signs in and the test walks every page it can reach by
following links (two pages of each shape, so a list of a hundred providers costs two
visits), then sends each of those pages' forms empty to see its error page. Each page
is also looked at in a 320-pixel window (WCAG 1.4.10, reflow): it must not scroll
sideways, and a table too wide for it scrolls in a region the keyboard can reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.e2e.browser import finish_sign_in, set_up_app
from tests.integration.web.helpline_world import DURING_APRIL, chars, make_world, wrong
from tests.integration.web.staff import PASSWORD, make_staff
from tests.support.clock import Clock
from tests.support.dashboard import (
    ISSUE_DAY,
    Mailbox,
    acknowledge_as,
    import_example_register,
    issue,
    work_outbox,
)
from tests.support.staff import add_user

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Not pages: machine answers, downloads and the way out (signing out ends the walk).
NOT_PAGES = re.compile(r"^/(api/|healthz|readyz|metrics|openapi|docs|redoc|static/|assets/)")
PER_SHAPE = 2
SPOC = "priya.raman@example.org"
OTHER_SPOC = "a.okafor@example.com"
WIDE = {"width": 1024, "height": 900}
NARROW = 320
AXE_RUN = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
# Opens every closed details element; how many it opened.
OPEN_DETAILS = """() => [...document.querySelectorAll('details:not([open])')]
  .map(d => { d.open = true; return d; }).length"""
# How the page is laid out in the window as it is, once its script has seen the size
# (ResizeObserver runs before a frame): each visible table region that is focusable
# when its table fits or not when it scrolls (one in a closed details element is looked
# at once it is opened); what in a table, outside a typed value's cell, may wrap at any
# letter (its column could be squeezed, breaking short words: "Rese / nd"); and how wide
# the page is, naming the outermost elements wider than the window.
LAYOUT = """async width => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const regions = [...document.querySelectorAll('.app-table-region')]
    .filter(r => r.checkVisibility())
    .filter(r => (r.scrollWidth > r.clientWidth) !== (r.getAttribute('tabindex') === '0'))
    .map(r => r.dataset.label);
  const squeezable = [...document.querySelectorAll('.govuk-table :is(th, td, th *, td *)')]
    .filter(e => !e.closest('.app-typed') && getComputedStyle(e).overflowWrap === 'anywhere')
    .slice(0, 3).map(e => e.innerText.trim().slice(0, 40));
  const pageWidth = document.documentElement.scrollWidth;
  const wider = e => e && e.getBoundingClientRect().right > width + 1;
  const widest = pageWidth <= width ? [] : [...document.querySelectorAll('main *')]
    .filter(e => wider(e) && !wider(e.parentElement)).slice(0, 3)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''));
  return {regions, squeezable, pageWidth, widest};
}"""


@dataclass
class Findings:
    visited: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def report(self) -> str:
        return f"axe-core: {len(self.visited)} pages checked, {len(self.violations)} violations"


@pytest.fixture(scope="module")
def axe_source() -> str:
    assert AXE.exists(), f"{AXE} is missing: run `make setup` (npm install)"
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    # The service's Content-Security-Policy rightly refuses an injected script.
    context = browser.new_context(viewport=WIDE, bypass_csp=True)
    yield context.new_page()
    context.close()


class Checker:
    def __init__(self, page: Page, base: str, axe_source: str, container: Container) -> None:
        self.page, self.base, self.axe_source = page, base, axe_source
        self.container = container
        self.findings = Findings()
        self.shapes: dict[str, int] = {}

    def check(self, label: str) -> None:
        """Run axe-core over the page as it stands, and look at its layout in a wide
        and a narrow window; then the same with its details elements open."""
        page = self.page
        page.wait_for_load_state("load")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=self.axe_source)
        result = page.evaluate(AXE_RUN, TAGS)
        where = f"{label} {urlsplit(page.url).path}"
        self.findings.visited.append(where)
        self._record(where, result)
        self._layout(where, WIDE["width"])
        self._layout(where, NARROW)
        if page.evaluate(OPEN_DETAILS):  # what they held, shown, is checked too
            where = f"{where} details open"
            self.findings.visited.append(where)
            self._record(where, page.evaluate(AXE_RUN, TAGS))
            self._layout(where, WIDE["width"])
            self._layout(where, NARROW)

    def _layout(self, where: str, width: int) -> None:
        """The page in a window ``width`` pixels wide. At 320 (a 1,280-pixel window at
        400%) it scrolls only up and down (WCAG 1.4.10, reflow): a table too wide for it
        scrolls in a region of its own, which a keyboard can reach (WCAG 2.1.1); a
        region whose table fits is no tab stop. Only a typed value's cell may break its
        words anywhere."""
        page = self.page
        narrow = width != WIDE["width"]
        if narrow:
            page.set_viewport_size({"width": width, "height": WIDE["height"]})
        try:
            found = page.evaluate(LAYOUT, width)
        finally:
            if narrow:
                page.set_viewport_size(WIDE)
        where = f"{where} at {width} pixels"
        problems = [
            *(
                f"the region of table {label!r} is focusable when its table fits, or "
                "not when it scrolls"
                for label in found["regions"]
            ),
            *(f"{text!r} may be broken mid-word" for text in found["squeezable"]),
        ]
        if found["pageWidth"] > width:
            problems.append(
                f"reflow: {found['pageWidth']} pixels wide ({', '.join(found['widest'])})"
            )
        self.findings.violations += [f"{where}: {problem}" for problem in problems]

    def _record(self, where: str, result: dict) -> None:
        for violation in result["violations"]:
            targets = [node["target"] for node in violation["nodes"]][:3]
            self.findings.violations.append(
                f"{where}: {violation['id']} ({violation['impact']}) {violation['help']} {targets}"
            )

    def visit(self, path: str, label: str) -> int:
        response = self.page.goto(self.base + path)
        assert response is not None
        self.check(label)
        return response.status

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto(self.base + "/sign-in")
        self.page.get_by_role("textbox", name="Username").fill(username)
        self.page.get_by_role("textbox", name="Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state("load")
        if urlsplit(self.page.url).path in {"/sign-in/second-factor", "/sign-in/set-up"}:
            self.check(f"{username} second step")
            finish_sign_in(self.page, self.container, username)

    def walk(self, label: str) -> None:
        """Every page reachable by links from the landing page, then its forms sent empty."""
        queue = [urlsplit(self.page.url).path]
        pages: list[str] = []
        while queue:
            path = queue.pop(0)
            shape = _shape(path)
            if self.shapes.get(shape, 0) >= PER_SHAPE:
                continue
            self.shapes[shape] = self.shapes.get(shape, 0) + 1
            response = self.page.goto(self.base + path)
            assert response is not None
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue  # a download, such as the code list
            self.check(label)
            pages.append(path)
            queue.extend(p for p in self._links() if _shape(p) not in self.shapes)
        for path in pages:
            self._send_forms_empty(path, label)

    def _links(self) -> list[str]:
        hrefs = self.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        found = []
        for href in hrefs:
            url = urlsplit(urldefrag(href)[0])
            if f"{url.scheme}://{url.netloc}" != self.base or NOT_PAGES.match(url.path):
                continue
            found.append(url.path + (f"?{url.query}" if url.query else ""))
        return found

    def _send_forms_empty(self, path: str, label: str) -> None:
        self.page.goto(self.base + path)
        count = self.page.locator("main form").count()
        for index in range(count):
            self.page.goto(self.base + path)
            form = self.page.locator("main form").nth(index)
            fields = form.locator(
                "input:not([type=hidden]):not([type=submit]):not([type=radio])"
                ":not([type=checkbox]), textarea"
            )
            if fields.count() == 0 or "sign-out" in (form.get_attribute("action") or ""):
                continue  # a button that acts: not an error state to see
            for number in range(fields.count()):
                field = fields.nth(number)
                if field.is_visible() and field.get_attribute("type") != "file":
                    field.fill("")  # a file input is sent empty as it is
            form.locator("button, input[type=submit]").first.click()
            self.page.wait_for_load_state("load")
            self.check(f"{label} (form {index + 1} of {path} sent empty)")


def _shape(path: str) -> str:
    """A path with its ids, references, cycles and tokens replaced: one shape per page."""
    path = re.sub(r"[A-Za-z0-9_-]{20,}", "T", path)
    path = re.sub(r"\d", "9", path)
    return re.sub(r"=[^&]*", "=", path)


def _fail_on(findings: Findings) -> None:
    print(findings.report())  # noqa: T201 (the figure the note quotes)
    assert findings.violations == [], "\n".join(findings.violations)


def test_every_page_of_the_month_passes_axe(
    web_container: Container,
    clock: Clock,
    live_server: str,
    axe_page: Page,
    axe_source: str,
) -> None:
    import_example_register(web_container)
    clock.now = ISSUE_DAY
    issue(web_container)
    mailbox = Mailbox()
    clock.now = ISSUE_DAY + timedelta(minutes=5)
    work_outbox(web_container, mailbox)
    clock.now = ISSUE_DAY + timedelta(hours=3)
    acknowledge_as(web_container, mailbox, OTHER_SPOC)
    work_outbox(web_container, mailbox)
    for username, role in [
        ("bmt.user", Role.BMT),
        ("sec.officer", Role.SECURITY),
        ("help.agent", Role.AGENT),
        ("root.admin", Role.ADMIN),
    ]:
        make_staff(web_container, username, role)
    checker = Checker(axe_page, live_server, axe_source, web_container)

    # A SPoC: the acknowledgement page, confirmed, pressed again, and a broken link.
    checker.visit(f"/ack/{mailbox.ack_tokens[SPOC]}", "spoc")
    axe_page.get_by_role("button", name="Confirm receipt").click()
    checker.check("spoc confirmed")
    checker.visit(f"/ack/{mailbox.ack_tokens[SPOC]}", "spoc again")
    assert checker.visit("/ack/" + "x" * 43, "spoc broken link") >= 400
    # Reporting an incident: the form, its errors, and the page after sending.
    report = f"/report/{mailbox.report_tokens[SPOC]}"
    checker.visit(report, "spoc report")
    axe_page.get_by_role("button", name="Send report").click()
    checker.check("spoc report sent empty")
    axe_page.get_by_label("Day").fill("12")
    axe_page.get_by_label("Month").fill("13")
    axe_page.get_by_label("Year").fill("2027")
    axe_page.get_by_role("button", name="Send report").click()
    checker.check("spoc report with a bad date")
    axe_page.get_by_label("Month").fill("3")
    axe_page.locator("input[type=radio]").first.check()
    axe_page.locator("textarea").first.fill("A laptop was left on a train.")
    axe_page.get_by_role("button", name="Send report").click()
    expect(axe_page.locator(".govuk-panel")).to_be_visible()
    checker.check("spoc report sent")
    assert checker.visit("/report/" + "x" * 43, "spoc broken report link") >= 400

    # Staff: the sign-in page, its error state, then every page each role can reach.
    checker.visit("/sign-in", "sign-in")
    checker.sign_in("bmt.user", "not the password")
    checker.check("sign-in refused")
    for username in ["bmt.user", "sec.officer", "help.agent", "root.admin"]:
        checker.sign_in(username)
        checker.walk(username)
        assert checker.visit("/no-such-page", f"{username} not found") == 404
        axe_page.context.clear_cookies()
    checker.sign_in("bmt.user")
    assert checker.visit("/admin/accounts", "bmt refused") == 403
    checker.visit("/staff", "bmt account")
    axe_page.get_by_role("button", name="Sign out").click()
    checker.check("signed out")
    _second_factor_pages(checker, web_container)
    _fail_on(checker.findings)


def _second_factor_pages(checker: Checker, container: Container) -> None:
    """Setting up a second factor and the second step, with their error states."""
    page = checker.page
    add_user(container, "new.person", role=Role.BMT, password=PASSWORD, actor="test")
    checker.sign_in("new.person")  # sets up an app (checked) and signs in
    page.context.clear_cookies()
    add_user(container, "second.person", role=Role.AGENT, password=PASSWORD, actor="test")
    checker.visit("/sign-in", "sign-in again")
    page.get_by_role("textbox", name="Username").fill("second.person")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    checker.check("set up a second factor")
    page.get_by_role("button", name="Set up the app").click()
    checker.check("set up a second factor, no code")
    set_up_app(page, container, "second.person")
    checker.check("recovery codes")
    page.context.clear_cookies()
    checker.visit("/sign-in", "sign-in once more")
    page.get_by_role("textbox", name="Username").fill("second.person")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("textbox", name="Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    checker.check("second step, wrong code")
    page.get_by_role("link", name="Use a recovery code instead").click()
    checker.check("recovery code")
    page.get_by_role("textbox", name="Recovery code").fill("not-a-code")
    page.get_by_role("button", name="Continue").click()
    checker.check("recovery code, wrong")
    page.context.clear_cookies()


def test_every_helpline_state_passes_axe(
    web_container: Container,
    clock: Clock,
    live_server: str,
    axe_page: Page,
    axe_source: str,
) -> None:
    clock.now = DURING_APRIL
    world = make_world(web_container)
    make_staff(web_container, "jo.bloggs", Role.AGENT)
    checker = Checker(axe_page, live_server, axe_source, web_container)
    checker.sign_in("jo.bloggs")
    checker.check("agent console")

    def start(ref: str) -> list[int]:
        axe_page.locator("#q").fill(ref)
        axe_page.locator("#q").press("Enter")
        checker.check(f"agent search {ref}")
        axe_page.locator(f"#start-{ref}").click()
        checker.check("agent challenge")
        return [int(p) for p in axe_page.locator(".app-positions__position").all_inner_texts()]

    def answer(characters: str) -> None:
        for number, character in enumerate(characters, start=1):
            axe_page.locator(f"#character-{number}").fill(character)
        axe_page.locator("#character-3").press("Enter")
        axe_page.wait_for_load_state("load")

    positions = start("PRV001")
    answer(chars(world.code(), positions))
    expect(axe_page.locator(".govuk-panel__title")).to_have_text("Security check passed")
    checker.check("agent passed")
    for attempt in range(1, 10):
        checker.visit("/helpline", "agent console")
        if axe_page.locator("#start-PRV002").count() == 0:
            axe_page.locator("#q").fill("PRV002")
            axe_page.locator("#q").press("Enter")
        if axe_page.locator("#start-PRV002").count() == 0:
            checker.check("agent provider locked")
            break
        positions = start("PRV002")
        answer(wrong(world.code("PRV002"), positions))
        checker.check(f"agent failed {attempt}")
    else:
        pytest.fail("the provider was never locked")
    _fail_on(checker.findings)
