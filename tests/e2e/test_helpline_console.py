"""A helpline agent checks callers with the keyboard only, in a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.e2e.browser import BrowserProblems, looks_like_govuk, screenshot, tab_to
from tests.integration.web.helpline_world import (
    DURING_APRIL,
    HelplineWorld,
    chars,
    make_world,
    wrong,
)
from tests.integration.web.staff import PASSWORD, make_staff
from tests.support.clock import Clock
from tests.support.second_factor import next_code

pytestmark = pytest.mark.slow


@pytest.fixture
def world(web_container: Container, clock: Clock) -> HelplineWorld:
    clock.now = DURING_APRIL
    made = make_world(web_container)
    make_staff(web_container, "jo.bloggs", Role.AGENT, display_name="Jo Bloggs")
    return made


@pytest.fixture
def no_js_page(browser: Browser, problems: BrowserProblems) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1024, "height": 900}, java_script_enabled=False
    )
    yield problems.watch(context.new_page())
    context.close()


def second_step_with_keys(page: Page, container: Container, name: str) -> None:
    """The code from the app, typed: the second step with the keyboard alone."""
    expect(page.locator("h1")).to_have_text("Confirm it is you")
    kind, code = next_code(container, name)
    assert kind == "code"
    tab_to(page, "code")
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def sign_in_with_keys(page: Page, live_server: str, container: Container) -> None:
    page.goto(live_server + "/")
    tab_to(page, "username")
    page.keyboard.type("jo.bloggs")
    tab_to(page, "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    second_step_with_keys(page, container, "jo.bloggs")
    expect(page).to_have_url(live_server + "/helpline")
    expect(page.locator("h1")).to_have_text("Check a caller")


def search(page: Page, query: str) -> None:
    tab_to(page, "q")
    page.keyboard.press("Control+A")
    page.keyboard.type(query)
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_contain_text(f"‘{query}’")


def search_and_start(page: Page, query: str, ref: str) -> list[int]:
    search(page, query)
    tab_to(page, f"start-{ref}")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Ask the caller for characters")
    return [int(p) for p in page.locator(".app-positions__position").all_inner_texts()]


def type_characters(page: Page, characters: str, *, advancing: bool) -> None:
    """Into the three boxes; without script, the agent moves on with Tab."""
    tab_to(page, "character-1")
    for number, character in enumerate(characters, start=1):
        page.keyboard.type(character)
        if number < len(characters):
            if not advancing:
                page.keyboard.press("Tab")
            active = page.evaluate("document.activeElement.id")
            assert active == f"character-{number + 1}"


def test_an_agent_checks_a_caller_with_the_keyboard_only(
    world: HelplineWorld, live_server: str, page: Page, problems: BrowserProblems
) -> None:
    sign_in_with_keys(page, live_server, world.container)
    looks_like_govuk(page)
    screenshot(page, "helpline-1-console")
    search(page, "PRV00")
    expect(page.locator("#results")).to_have_text("4 companies match ‘PRV00’")
    expect(page.locator("#provider-PRV003")).to_contain_text(
        "Pennine Routes CIC cannot use Provider Direct: no longer active"
    )
    expect(page.locator("#start-PRV003")).to_have_count(0)
    screenshot(page, "helpline-1-results")

    positions = search_and_start(page, "north", "PRV001")

    a, b, c = positions
    expect(page.locator("h1")).to_have_text(
        f"Ask the caller for characters {a}, {b} and {c} of their access code"
    )
    size = page.locator(".app-positions").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 48  # big enough to read at a glance
    for number, position in enumerate(positions, start=1):
        box = page.get_by_role("textbox", name=f"Character {position}")
        expect(box).to_have_attribute("id", f"character-{number}")
        expect(box).to_have_attribute("maxlength", "1")
    looks_like_govuk(page)
    screenshot(page, "helpline-2-challenge")

    type_characters(page, chars(world.code(), positions), advancing=True)
    screenshot(page, "helpline-3-typed")
    assert world.code() not in page.content()
    page.keyboard.press("Enter")

    expect(page.locator(".govuk-panel__title")).to_have_text("Security check passed")
    expect(page.locator(".govuk-panel__body")).to_have_text("Continue the call")
    assert chars(world.code(), positions) not in page.locator("main").inner_text()
    assert world.code() not in page.content()
    looks_like_govuk(page)
    screenshot(page, "helpline-4-passed")
    assert problems.messages == []


def test_a_failed_check_is_red_and_the_next_asks_the_same(
    world: HelplineWorld, live_server: str, page: Page, problems: BrowserProblems, clock: Clock
) -> None:
    sign_in_with_keys(page, live_server, world.container)
    positions = search_and_start(page, "Riverside", "SUB101")
    expect(page.locator(".govuk-caption-l")).to_contain_text(
        "checks the code of Northfield Employment Ltd (PRV001)"
    )

    type_characters(page, wrong(world.code(), positions), advancing=True)
    page.keyboard.press("Enter")

    panel = page.locator(".app-panel--fail")
    expect(panel.locator("h1")).to_have_text("Security check failed")
    colour = panel.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(202, 53, 53)"  # GOV.UK red
    looks_like_govuk(page)
    screenshot(page, "helpline-5-failed")

    clock.now += timedelta(minutes=1)
    tab_to(page, "next-call")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Check a caller")
    again = search_and_start(page, "SUB101", "SUB101")
    assert again == positions
    expect(page.locator("#reused")).to_contain_text("Same positions as the failed check")
    screenshot(page, "helpline-6-same-positions")
    assert problems.messages == []


def test_the_console_works_without_javascript(
    world: HelplineWorld, live_server: str, no_js_page: Page, problems: BrowserProblems
) -> None:
    page = no_js_page
    sign_in_with_keys(page, live_server, world.container)
    positions = search_and_start(page, "PRV001", "PRV001")

    type_characters(page, chars(world.code(), positions), advancing=False)
    page.keyboard.press("Enter")

    expect(page.locator(".govuk-panel__title")).to_have_text("Security check passed")
    assert problems.messages == []


def test_the_security_team_sees_a_lock_and_the_exposure(
    world: HelplineWorld,
    web_container: Container,
    live_server: str,
    page: Page,
    problems: BrowserProblems,
) -> None:
    from tests.support.helpline import answer_challenge, start_challenge

    for _ in range(3):
        view = start_challenge(web_container, "PRV002", agent="user:jo.bloggs")
        answer_challenge(
            web_container,
            view.id,
            wrong(world.code("PRV002"), view.positions),
            agent="user:jo.bloggs",
        )
    make_staff(web_container, "sam.patel", Role.SECURITY, display_name="Sam Patel")
    page.goto(live_server + "/security/helpline")
    tab_to(page, "username")
    page.keyboard.type("sam.patel")
    tab_to(page, "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    second_step_with_keys(page, web_container, "sam.patel")

    expect(page.locator("h1")).to_have_text("Helpline locks and exposure")
    expect(page.locator("#locks-table")).to_contain_text("Harbourside Skills (PRV002)")
    looks_like_govuk(page)
    screenshot(page, "helpline-7-security")

    page.get_by_role("link", name="Unlock Harbourside Skills").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Unlock verification for Harbourside Skills?")
    screenshot(page, "helpline-8-unlock")
    tab_to(page, "unlock")
    page.keyboard.press("Enter")

    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Verification for Harbourside Skills is unlocked"
    )
    expect(page.locator("#no-locks")).to_be_visible()

    # Harbourside's callers failed three times: the team reissues its code from here.
    page.get_by_role("link", name="Reissue the code of Harbourside Skills").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Reissue the code of Harbourside Skills?")
    tab_to(page, "reason")
    page.keyboard.type("Three failed checks on one morning; replacing it as a precaution.")
    screenshot(page, "helpline-9-reissue")
    tab_to(page, "reissue")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "The code of Harbourside Skills is reissued", timeout=30_000
    )
    assert problems.messages == []
