"""Each role lands on the page it works from, and the bar marks where you are."""

from __future__ import annotations

import pytest

from codeservice.domain.accounts import Principal, Role
from codeservice.web.navigation import landing_page, staff_navigation


def person(role: Role) -> Principal:
    return Principal(kind="user", name="ann", role=role)


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.BMT, "/bmt"),
        (Role.SECURITY, "/security/incidents"),
        (Role.AGENT, "/helpline"),
        (Role.ADMIN, "/admin/accounts"),
    ],
)
def test_each_role_lands_on_its_own_work(role: Role, landing: str) -> None:
    assert landing_page(person(role)) == landing
    items = staff_navigation(person(role), landing)
    assert items[0]["href"] == landing and items[0]["current"]
    assert [item["text"] for item in items[-2:]] == ["Your account", "Sign out"]


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/bmt", "Dashboard"),
        ("/bmt/cycles", "Cycles"),
        ("/bmt/cycles/2027-04", "Cycles"),
        ("/bmt/export", "Dashboard"),
        ("/bmt/notices/3", "Notices to SPoCs"),
        ("/bmt/register", "Register"),
        ("/staff", "Your account"),
        ("/bmtx", None),
    ],
)
def test_the_most_specific_item_is_current(path: str, current: str | None) -> None:
    marked = [item["text"] for item in staff_navigation(person(Role.BMT), path) if item["current"]]
    assert marked == ([] if current is None else [current])


def test_no_role_sees_another_roles_sections() -> None:
    hrefs = {role: {item["href"] for item in staff_navigation(person(role), "/")} for role in Role}
    assert "/bmt" not in hrefs[Role.SECURITY] | hrefs[Role.AGENT] | hrefs[Role.ADMIN]
    assert "/security/incidents" not in hrefs[Role.BMT] | hrefs[Role.AGENT] | hrefs[Role.ADMIN]
    assert "/admin/accounts" not in hrefs[Role.BMT] | hrefs[Role.SECURITY] | hrefs[Role.AGENT]
