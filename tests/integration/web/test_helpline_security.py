from __future__ import annotations

import re

from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.domain.challenges import Positions
from tests.integration.services.helpline.support import drawing
from tests.integration.web.helpline_world import (
    HelplineWorld,
    assert_no_secret_in,
    audit_details,
    chars,
    wrong,
)
from tests.integration.web.links import csrf_field, csrf_for
from tests.integration.web.staff import make_staff, sign_in
from tests.support.helpline import answer_challenge, start_challenge, verification_locks

PAGE = "/security/helpline"
UNLOCK = PAGE + "/locks/PRV001/unlock"


def check(
    world: HelplineWorld, ref: str, *, right: bool, positions: Positions | None = None
) -> None:
    view = start_challenge(
        world.container,
        ref,
        agent="user:agent.user",
        rng=None if positions is None else drawing(positions),
    )
    code = world.code("PRV001" if ref == "SUB101" else ref)
    given = chars(code, view.positions) if right else wrong(code, view.positions)
    world.challenge_ids.append(view.id)
    world.given.append(given)
    answer_challenge(world.container, view.id, given, agent="user:agent.user")


def test_the_security_team_unlocks_a_locked_provider_after_confirming(
    security: TestClient, world: HelplineWorld
) -> None:
    before = security.get(PAGE).text
    assert "No provider’s verification is locked today." in before
    for _ in range(3):
        check(world, "SUB101", right=False)

    page = security.get(PAGE).text
    table = re.search(r'id="locks-table".*?</table>', page, re.DOTALL)
    assert table and "Northfield Employment Ltd (PRV001)" in table.group(0)
    assert f'href="{UNLOCK}"' in page
    confirm = security.get(UNLOCK)
    assert "Unlock verification for Northfield Employment Ltd?" in confirm.text
    assert re.search(r"Failed checks today\s*</dt>\s*<dd[^>]*>\s*3", confirm.text)

    assert security.post(UNLOCK, data={}).status_code == 400  # no CSRF token: nothing done
    assert [lock.provider_ref for lock in verification_locks(world.container)] == ["PRV001"]
    done = security.post(UNLOCK, data={"csrf_token": csrf_field(confirm.text)})

    assert done.url.path == PAGE
    assert "Verification for Northfield Employment Ltd is unlocked." in done.text
    assert "No provider’s verification is locked today." in done.text
    assert verification_locks(world.container) == []
    [unlocked] = audit_details(world.container, "helpline:verification:unlock")
    assert unlocked["actor"] == "user:security.user"
    assert unlocked["prime"] == "PRV001"
    assert_no_secret_in([before, page, confirm.text, done.text], world, baseline=[before])


def test_a_second_unlock_shows_it_done_and_unlocks_once(
    security: TestClient, world: HelplineWorld
) -> None:
    for _ in range(3):
        check(world, "PRV001", right=False)
    confirm = security.get(UNLOCK)
    form = {"csrf_token": csrf_field(confirm.text)}
    first = security.post(UNLOCK, data=form)
    again = security.post(UNLOCK, data=form)  # a double click, or the form in another tab

    for done in (first, again):
        assert done.status_code == 200
        assert done.url.path == PAGE
        assert "Verification for Northfield Employment Ltd is unlocked." in done.text
    assert len(audit_details(world.container, "helpline:verification:unlock")) == 1


def test_unlocking_what_is_not_locked_says_so(security: TestClient, world: HelplineWorld) -> None:
    confirm = security.get(UNLOCK)
    assert confirm.status_code == 409
    assert "Verification for Northfield Employment Ltd (PRV001) is not locked today." in (
        confirm.text
    )
    security.get("/staff")
    token = csrf_for(security, UNLOCK)
    assert security.post(UNLOCK, data={"csrf_token": token}).status_code == 409
    assert security.get(PAGE + "/locks/NOPE999/unlock").status_code == 404


def test_exposure_flags_a_code_whose_positions_were_mostly_spoken(
    security: TestClient, world: HelplineWorld
) -> None:
    for positions in ((1, 2, 3), (4, 5, 6), (6, 7, 8)):
        check(world, "PRV001", right=True, positions=positions)
    check(world, "PRV002", right=False, positions=(1, 2, 3))

    page = security.get(PAGE).text

    table = re.search(r'id="exposure-table".*?</table>', page, re.DOTALL)
    assert table
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", table.group(0), re.DOTALL)
    text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    assert text[1].startswith("Northfield Employment Ltd (PRV001) April 2027")
    assert "1, 2, 3, 4, 5, 6, 7, 8 8 of 8 Flagged" in text[1]
    assert "app-exposure--flagged" in rows[1]
    assert "Harbourside Skills (PRV002) April 2027" in text[2]
    assert "1, 2, 3 3 of 8 Below limit" in text[2]
    assert "1 code is flagged." in page
    assert_no_secret_in([page], world)


def test_only_the_security_team_sees_it(
    client: TestClient, web_container: Container, world: HelplineWorld
) -> None:
    make_staff(web_container, "agent.user", Role.AGENT)
    sign_in(client, "agent.user")

    assert client.get(PAGE).status_code == 403
    assert client.get(UNLOCK).status_code == 403
