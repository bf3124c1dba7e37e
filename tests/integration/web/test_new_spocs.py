"""The cycle page's panel of SPoCs added since issue day, and sending them the document."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.integration.web.links import NOW, csrf_field, csrf_for, outbox_rows, snapshot
from tests.integration.web.staff import audit_actions, signed_in_client
from tests.support.clock import Clock
from tests.support.dashboard import (
    APRIL,
    ISSUE_DAY,
    REGISTER,
    Mailbox,
    import_example_register,
    issue,
    work_outbox,
)
from tests.support.register import import_register

NADIA = "nadia.khan@example.org"
CYCLE = "/bmt/cycles/2027-04"
NEW_SPOCS = CYCLE + "/new-spocs"


@pytest.fixture
def april(web_container: Container, clock: Clock) -> Container:
    """April issued on its day and its mail sent; on 1 April Nadia joins Northfield."""
    clock.now = ISSUE_DAY
    import_example_register(web_container)
    issue(web_container)
    work_outbox(web_container, Mailbox())
    clock.now = NOW
    line = f"PRV001,Northfield Employment Services Ltd,,Nadia Khan,{NADIA},,,\n"
    data = REGISTER.read_bytes() + line.encode()
    import_register(web_container, data, "register.csv", actor="test", source="test")
    return web_container


@pytest.fixture
def bmt(client: TestClient, web_container: Container) -> TestClient:
    return signed_in_client(client, web_container, Role.BMT)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _documents_to(container: Container, email: str) -> int:
    return sum(
        1
        for _, to, kind in outbox_rows(container)
        if to == email and kind == "access-code-document"
    )


def test_the_cycle_page_shows_who_has_not_had_the_document(
    bmt: TestClient, april: Container
) -> None:
    page = bmt.get(CYCLE)

    assert page.status_code == 200
    panel = _text(page.text.split('id="new-spocs-panel"')[1].split("</ul>")[0])
    assert "1 SPoC added since this cycle's code was issued has not had it" in panel
    assert f"Nadia Khan ({NADIA}), Northfield Employment Services Ltd (PRV001)" in panel
    assert f'href="{NEW_SPOCS}"' in page.text
    assert "Send them this cycle's document" in _text(page.text)
    assert 'id="new-spocs-panel"' not in bmt.get("/bmt/cycles/2027-05").text


def test_the_dashboard_says_who_is_waiting(bmt: TestClient, april: Container) -> None:
    home = bmt.get("/bmt").text

    warning = _text(home.split('id="cycle-2027-04-new-spocs"')[1].split("</div>")[0])
    assert "1 SPoC added since the issue day has not had this cycle's code." in warning
    assert f'href="{NEW_SPOCS}"' in home
    assert 'id="cycle-2027-03-new-spocs"' not in home


def test_the_confirmation_page_changes_nothing(bmt: TestClient, april: Container) -> None:
    before = snapshot(april)

    page = bmt.get(NEW_SPOCS)

    assert page.status_code == 200
    text = _text(page.text)
    assert "Send this cycle's document to 1 new SPoC?" in text
    assert NADIA in text and "PD-2027-04-PRV001-" in text
    assert " style=" not in page.text
    assert snapshot(april) == before


def test_sending_from_the_confirmation_page_sends_once(
    bmt: TestClient, april: Container, clock: Clock
) -> None:
    confirm = bmt.get(NEW_SPOCS)
    shown = re.findall(r'name="shown" value="([0-9]+-[0-9]+)"', confirm.text)
    form = {"csrf_token": csrf_field(confirm.text), "shown": shown}

    first = bmt.post(NEW_SPOCS, data=form, follow_redirects=False)
    again = bmt.post(NEW_SPOCS, data=form, follow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == f"{CYCLE}?done=new-spocs&sent=1"
    assert again.headers["location"] == f"{CYCLE}?done=new-spocs-none"
    assert _documents_to(april, NADIA) == 1
    ((_, actor, details),) = audit_actions(april, "mail:document:new_spoc")
    assert actor == "user:bmt.user" and details["provider"] == "PRV001"
    done = bmt.get(first.headers["location"]).text
    assert "This cycle's document is on its way to 1 new SPoC" in _text(done)
    assert 'id="new-spocs-panel"' not in done
    assert NADIA in done  # now in the table, with her own delivery
    assert "nothing more was sent" in _text(bmt.get(again.headers["location"]).text)
    assert "Nobody is waiting" in _text(bmt.get(NEW_SPOCS).text)


def test_only_the_spocs_the_page_showed_are_sent(bmt: TestClient, april: Container) -> None:
    confirm = bmt.get(NEW_SPOCS)
    shown = re.findall(r'name="shown" value="([0-9]+-[0-9]+)"', confirm.text)
    nadia = f"PRV001,Northfield Employment Services Ltd,,Nadia Khan,{NADIA},,,\n"
    zoe = "PRV002,Harbourside Skills Partnership,,Zoe Hart,zoe.hart@example.com,,,\n"
    data = REGISTER.read_bytes() + (nadia + zoe).encode()
    import_register(april, data, "register.csv", actor="test", source="test")

    sent = bmt.post(
        NEW_SPOCS,
        data={"csrf_token": csrf_field(confirm.text), "shown": shown},
        follow_redirects=False,
    )
    forged = bmt.post(
        NEW_SPOCS,
        data={"csrf_token": csrf_field(confirm.text), "shown": ["x-1", "1-", "99999-99999"]},
        follow_redirects=False,
    )

    assert len(shown) == 1
    assert sent.headers["location"] == f"{CYCLE}?done=new-spocs&sent=1"
    assert forged.headers["location"] == f"{CYCLE}?done=new-spocs-none"
    assert _documents_to(april, NADIA) == 1
    assert _documents_to(april, "zoe.hart@example.com") == 0  # joined after the page was shown
    assert "Zoe Hart (zoe.hart@example.com)" in _text(bmt.get(CYCLE).text)


def test_a_post_without_its_csrf_token_is_refused(bmt: TestClient, april: Container) -> None:
    before = snapshot(april)

    refused = bmt.post(NEW_SPOCS, data={}, follow_redirects=False)

    assert 400 <= refused.status_code < 500
    assert snapshot(april) == before


def test_a_helpline_agent_cannot_send(
    client: TestClient, web_container: Container, april: Container
) -> None:
    agent = signed_in_client(client, web_container, Role.AGENT)
    agent.get("/staff")
    token = csrf_for(agent, NEW_SPOCS)

    assert agent.get(NEW_SPOCS).status_code == 403
    assert agent.post(NEW_SPOCS, data={"csrf_token": token}).status_code == 403
    assert agent.get(CYCLE).status_code == 403
    assert _documents_to(april, NADIA) == 0


def test_an_ended_cycle_shows_nobody(client: TestClient, april: Container, clock: Clock) -> None:
    clock.now = april.calendar.dates(APRIL).active_until + timedelta(seconds=1)
    bmt = signed_in_client(client, april, Role.BMT)

    page = bmt.get(CYCLE)

    assert page.status_code == 200
    assert 'id="new-spocs-panel"' not in page.text
    assert "Nobody is waiting" in _text(bmt.get(NEW_SPOCS).text)
