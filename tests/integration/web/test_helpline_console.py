from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.integration.web.helpline_world import (
    HelplineWorld,
    assert_no_secret_in,
    audit_and_log_texts,
    audit_details,
    chars,
    wrong,
)
from tests.integration.web.links import csrf_field, csrf_for
from tests.integration.web.staff import make_staff, sign_in
from tests.support.clock import Clock

AGENT = "agent.user"


@pytest.fixture
def agent(client: TestClient, web_container: Container, world: HelplineWorld) -> TestClient:
    """An agent signed in at the time of the world's calls."""
    make_staff(web_container, AGENT, Role.AGENT, display_name="Jo Bloggs")
    assert sign_in(client, AGENT).status_code == 303
    return client


def start(client: TestClient, world: HelplineWorld, ref: str = "PRV001") -> str:
    """Search for ``ref`` and press its Start check button; the challenge page's path."""
    world.tick()
    search = client.get("/helpline", params={"q": ref})
    assert search.status_code == 200
    started = client.post(
        "/helpline/challenges",
        data={"csrf_token": csrf_field(search.text), "provider": ref},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    path = str(started.headers["location"])
    world.challenge_ids.append(path.rsplit("/", 1)[1])
    return path


def positions_of(html: str) -> list[int]:
    match = re.search(r'id="positions">(.*?)</p>', html, re.DOTALL)
    assert match, "no positions on the page"
    return [int(p) for p in re.findall(r">(\d)<", match.group(1))]


def answer(client: TestClient, world: HelplineWorld, path: str, characters: str, page: str) -> str:
    world.given.append(characters)
    fields = {f"character-{i}": c for i, c in enumerate(characters, start=1)}
    response = client.post(path + "/answer", data={"csrf_token": csrf_field(page), **fields})
    assert response.status_code in (200, 422), response.status_code
    return str(response.text)


def test_an_agent_lands_on_the_console(
    client: TestClient, web_container: Container, world: HelplineWorld
) -> None:
    make_staff(web_container, AGENT, Role.AGENT)

    assert sign_in(client, AGENT).headers["location"] == "/helpline"
    page = client.get("/")

    assert page.url.path == "/helpline"
    assert "Check a caller" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_only_agents_use_the_console(
    client: TestClient, web_container: Container, world: HelplineWorld
) -> None:
    anonymous = client.get("/helpline", follow_redirects=False)
    assert anonymous.status_code == 302
    assert anonymous.headers["location"] == "/sign-in?next=%2Fhelpline"

    make_staff(web_container, "bmt.user", Role.BMT)
    sign_in(client, "bmt.user")
    assert client.get("/helpline").status_code == 403
    assert client.get("/helpline", params={"q": "PRV001"}).status_code == 403


def test_search_shows_who_may_be_checked(agent: TestClient, world: HelplineWorld) -> None:
    found = agent.get("/helpline", params={"q": "north"}).text

    assert "1 company matches ‘north’" in found
    assert 'id="start-PRV001"' in found

    found = agent.get("/helpline", params={"q": "riverside"}).text
    assert "Subcontractor: checks the code of Northfield Employment Ltd (PRV001)" in found
    assert 'id="start-SUB101"' in found

    refused = agent.get("/helpline", params={"q": "PRV003"}).text
    assert "Not eligible" in refused
    assert "Pennine Routes CIC cannot use Provider Direct: no longer active" in refused
    assert 'id="start-PRV003"' not in refused

    nothing = agent.get("/helpline", params={"q": "Acme"}).text
    assert "No company on the approved provider list matches ‘Acme’" in nothing

    empty = agent.get("/helpline", params={"q": "  "})
    assert empty.status_code == 422
    assert "Enter a name or ref" in empty.text


def test_a_check_passes_without_the_code_ever_on_a_page(
    agent: TestClient, world: HelplineWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = start(agent, world)
    page = agent.get(path)
    assert page.headers["cache-control"] == "no-store"
    positions = positions_of(page.text)
    a, b, c = positions
    assert f"Ask the caller for characters {a}, {b} and {c} of their access code" in page.text
    assert "This check expires at <strong>10:05</strong>" in page.text
    inputs = re.findall(r"<input[^>]*app-character[^>]*>", page.text)
    assert len(inputs) == 3
    for number, (input_html, position) in enumerate(zip(inputs, positions, strict=True), 1):
        for attribute in (
            f'id="character-{number}"',
            'maxlength="1"',
            'autocomplete="off"',
            'spellcheck="false"',
            'autocapitalize="off"',
        ):
            assert attribute in input_html
        assert "value=" not in input_html
        assert re.search(rf'for="character-{number}">\s*Character {position}\s*<', page.text)
    assert "Same positions" not in page.text

    result = answer(agent, world, path, chars(world.code(), positions), page.text)

    assert "Security check passed" in result
    assert "Continue the call" in result
    assert_no_secret_in([page.text, result], world, baseline=[page.text])
    assert_no_secret_in(audit_and_log_texts(world.container, caplog), world)
    [created, answered] = audit_details(world.container)
    assert created["actor"] == answered["actor"] == "user:agent.user"
    assert answered["result"] == "pass"


def test_a_failed_check_says_end_the_call_and_the_next_asks_the_same_positions(
    agent: TestClient, world: HelplineWorld
) -> None:
    path = start(agent, world)
    page = agent.get(path).text
    positions = positions_of(page)

    result = answer(agent, world, path, wrong(world.code(), positions), page)

    assert "Security check failed" in result
    assert "app-panel--fail" in result
    assert "advise them to call back with the correct code, end the call" in result
    assert "Start a new check" not in result
    again = agent.get(start(agent, world)).text
    assert positions_of(again) == positions
    assert "Same positions as the failed check — do not offer new ones." in again
    assert_no_secret_in([page, result, again], world, baseline=[page])


def test_a_wrong_case_fails(agent: TestClient, world: HelplineWorld) -> None:
    for _ in range(20):  # until the positions asked hold a letter
        path = start(agent, world)
        page = agent.get(path).text
        right = chars(world.code(), positions_of(page))
        if right.swapcase() != right:
            break
        answer(agent, world, path, right, page)
    else:
        raise AssertionError("no letter asked in 20 checks")

    assert "Security check failed" in answer(agent, world, path, right.swapcase(), page)


def test_a_missing_character_is_asked_for_and_nothing_typed_comes_back(
    agent: TestClient, world: HelplineWorld
) -> None:
    path = start(agent, world)
    page = agent.get(path).text
    positions = positions_of(page)
    right = chars(world.code(), positions)

    form = answer(agent, world, path, right[:2], page)

    assert f"Enter character {positions[2]}" in form
    assert 'href="#character-3"' in form
    assert re.search(r'<input[^>]*govuk-input--error[^>]*id="character-3"', form)
    assert all("value=" not in i for i in re.findall(r"<input[^>]*app-character[^>]*>", form))
    too_many = agent.post(
        path + "/answer",
        data={
            "csrf_token": csrf_field(form),
            "character-1": "ab",
            "character-2": "c",
            "character-3": "d",
        },
    )
    assert too_many.status_code == 422
    assert f"Enter only one character for character {positions[0]}" in too_many.text
    assert_no_secret_in([form, too_many.text], world, baseline=[page])

    assert "Security check passed" in answer(agent, world, path, right, form)


def test_an_answered_check_cannot_be_answered_again(
    agent: TestClient, world: HelplineWorld
) -> None:
    path = start(agent, world)
    page = agent.get(path).text
    right = chars(world.code(), positions_of(page))
    answer(agent, world, path, right, page)

    shown = agent.get(path).text
    again = answer(agent, world, path, right, page)

    for html in (shown, again):
        assert "This check has already been answered" in html
        assert "it passed" in html
        assert 'id="start-again"' in html
    assert "Ask the caller" not in shown
    assert_no_secret_in([shown, again], world, baseline=[page])


def test_an_expired_check_offers_a_new_one_with_the_same_positions(
    agent: TestClient, world: HelplineWorld, clock: Clock
) -> None:
    path = start(agent, world)
    page = agent.get(path).text
    positions = positions_of(page)
    clock.now += timedelta(minutes=5)

    expired = answer(agent, world, path, chars(world.code(), positions), page)

    assert "This check has expired" in expired
    assert "was not answered within 5 minutes" in expired
    assert "This check has expired" in agent.get(path).text
    new = agent.post(
        "/helpline/challenges",
        data={"csrf_token": csrf_field(expired), "provider": "PRV001"},
        follow_redirects=False,
    )
    assert new.status_code == 303
    again = agent.get(new.headers["location"]).text
    assert positions_of(again) == positions
    assert "Same positions as the failed check" in again


def test_three_fails_lock_the_provider_for_the_day(agent: TestClient, world: HelplineWorld) -> None:
    for _ in range(3):
        path = start(agent, world, "SUB101")
        page = agent.get(path).text
        result = answer(agent, world, path, wrong(world.code(), positions_of(page)), page)
        assert "Security check failed" in result

    search = agent.get("/helpline", params={"q": "PRV001"})
    agent.get("/staff")  # the search offers no form now: a token as if it did
    token = csrf_for(agent, "/helpline/challenges")
    locked = agent.post("/helpline/challenges", data={"csrf_token": token, "provider": "PRV001"})

    assert (
        "Verification for Northfield Employment Ltd is locked until tomorrow; the security "
        "team has been told." in locked.text
    )
    assert "Verification for Northfield Employment Ltd is locked until tomorrow" in search.text
    assert 'id="start-PRV001"' not in search.text
    assert [d["action"] for d in audit_details(world.container, "helpline:verification")] == [
        "helpline:verification:lock"
    ]


def test_a_check_opened_before_the_lock_is_refused(agent: TestClient, world: HelplineWorld) -> None:
    waiting = start(agent, world)
    waiting_page = agent.get(waiting).text
    for _ in range(3):
        path = start(agent, world)
        page = agent.get(path).text
        answer(agent, world, path, wrong(world.code(), positions_of(page)), page)

    positions = positions_of(waiting_page)
    late = answer(agent, world, waiting, chars(world.code(), positions), waiting_page)

    assert "Verification is locked" in late
    assert "Verification for Northfield Employment Ltd is locked until tomorrow" in late


def test_no_code_in_force_tells_the_agent_to_end_the_call(
    agent: TestClient, world: HelplineWorld
) -> None:
    search = agent.get("/helpline", params={"q": "PRV004"})
    refused = agent.post(
        "/helpline/challenges", data={"csrf_token": csrf_field(search.text), "provider": "PRV004"}
    )

    assert refused.status_code == 200
    assert "No access code is in force for Coastal Futures Ltd" in refused.text


def test_an_ineligible_provider_cannot_be_started_by_hand(
    agent: TestClient, world: HelplineWorld
) -> None:
    agent.get("/staff")  # the search offers no Start button: a token as if it did
    token = csrf_for(agent, "/helpline/challenges")
    refused = agent.post("/helpline/challenges", data={"csrf_token": token, "provider": "PRV003"})

    assert refused.status_code == 422
    assert "Pennine Routes CIC (PRV003) cannot use Provider Direct: no longer active" in (
        refused.text
    )


def test_a_subcontractor_is_checked_against_its_prime_code(
    agent: TestClient, world: HelplineWorld
) -> None:
    path = start(agent, world, "SUB101")
    page = agent.get(path).text

    assert (
        "Riverside Community Trust (SUB101), checks the code of Northfield Employment Ltd "
        "(PRV001)" in page
    )
    result = answer(agent, world, path, chars(world.code("PRV001"), positions_of(page)), page)
    assert "Security check passed" in result


def test_forms_need_their_csrf_token(agent: TestClient, world: HelplineWorld) -> None:
    path = start(agent, world)

    assert agent.post("/helpline/challenges", data={"provider": "PRV001"}).status_code == 400
    assert agent.post(path + "/answer", data={"character-1": "a"}).status_code == 400


def test_an_unknown_check_is_not_found(agent: TestClient, world: HelplineWorld) -> None:
    assert agent.get("/helpline/challenges/" + "x" * 22).status_code == 404


def test_a_search_with_an_unusable_character_is_refused_on_the_page(
    agent: TestClient, world: HelplineWorld, web_container: Container
) -> None:
    before = audit_details(web_container, "")
    search = agent.get("/helpline", params={"q": "North\x00field"})
    token = csrf_for(agent, "/helpline/challenges")
    start = agent.post("/helpline/challenges", data={"csrf_token": token, "provider": "PRV\x00001"})

    assert search.status_code == 422
    assert "The name or ref contains a control character, U+0000" in search.text
    assert start.status_code == 422
    assert "The organisation&#39;s name or ref contains a control character" in start.text
    assert audit_details(web_container, "") == before
