"""The BMT dashboard's pages and actions, through the app as a browser uses it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.documents import decrypt_document
from codeservice.documents.code_list import read_code_list
from codeservice.domain.accounts import Role
from codeservice.web.rotation_runs import RotationRuns
from tests.integration.web.links import NOW, csrf_field, csrf_for, outbox_rows
from tests.integration.web.staff import audit_actions, make_staff, sign_in, signed_in_client
from tests.support.clock import Clock
from tests.support.dashboard import (
    APRIL,
    ISSUE_DAY,
    Mailbox,
    acknowledge_as,
    import_example_register,
    issue,
    work_outbox,
)
from tests.support.reading import board_of

FAILING = "fiona.macleod@example.org"
PRIYA = "priya.raman@example.org"
CYCLE = "/bmt/cycles/2027-04"


@pytest.fixture
def mailbox(web_container: Container, clock: Clock) -> Mailbox:
    """The register imported, April issued on its day, mail sent, two acknowledgements."""
    delivered = Mailbox()
    clock.now = ISSUE_DAY
    import_example_register(web_container)
    issue(web_container)
    work_outbox(web_container, delivered, failing=[FAILING])
    clock.now = ISSUE_DAY + timedelta(hours=4)
    acknowledge_as(web_container, delivered, PRIYA)
    acknowledge_as(web_container, delivered, "a.okafor@example.com")
    work_outbox(web_container, delivered)
    clock.now = NOW  # Thursday 1 April, where the sign-in's clock is
    return delivered


@pytest.fixture
def bmt(client: TestClient, web_container: Container) -> TestClient:
    return signed_in_client(client, web_container, Role.BMT)


def _delivery_id(container: Container, email: str) -> int:
    board = board_of(container, APRIL)
    return next(s.delivery_id for p in board.providers for s in p.spocs if s.email == email)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_cycles_are_listed_with_their_dates_and_counts(
    bmt: TestClient, mailbox: Mailbox
) -> None:
    page = bmt.get("/bmt/cycles")

    assert page.status_code == 200
    april = _text(page.text.split('id="cycle-2027-04"')[1].split("</tr>")[0])
    assert "April 2027" in april and "Issued" in april
    assert "Wednesday 31 March 2027" in april
    assert "Monday 5 April 2027 to Monday 3 May 2027" in april
    assert re.search(r"\b8 2 of 15 0\b", april), april  # codes, acknowledged, reissues
    march = _text(page.text.split('id="cycle-2027-03"')[1].split("</tr>")[0])
    assert "In force" in march and re.search(r"\b0 0 of 0 0\b", march), march
    assert 'href="/bmt/cycles/2027-04"' in page.text


def test_an_ended_cycle_without_codes_says_it_ended(bmt: TestClient, mailbox: Mailbox) -> None:
    page = bmt.get("/bmt/cycles/2027-02")

    assert page.status_code == 200
    assert "This cycle has ended: no code was issued for it." in page.text
    assert "No code yet" not in page.text


def test_the_overview_shows_both_cycles_with_counts_and_a_chart(
    bmt: TestClient, mailbox: Mailbox
) -> None:
    page = bmt.get("/bmt")

    assert page.status_code == 200
    text = _text(page.text)
    assert "Cycle in force" in text and "Next cycle" in text  # 2027-03 in force on 1 Apr
    assert "April 2027 (cycle 2027-04)" in text and "March 2027 (cycle 2027-03)" in text
    counts = re.search(r'id="cycle-2027-04-counts".*?</div>\s*</div>', page.text, re.S)
    assert counts is not None
    assert re.findall(r"font-weight-bold\">(\d+)<", counts.group(0)) == ["8", "14", "2", "2"]
    assert "1 email is failing" in text
    assert '<svg class="govuk-!-margin-bottom-2" id="cycle-2027-04-chart"' in page.text
    assert "Show the numbers as a table" in text
    assert "Wed 31 Mar 2 2" in _text(page.text.split('id="cycle-2027-04-chart-table"')[1])


def test_the_pages_keep_to_the_content_security_policy(bmt: TestClient, mailbox: Mailbox) -> None:
    for path in ("/bmt", CYCLE, "/bmt/register", "/bmt/export", CYCLE + "/rotation"):
        page = bmt.get(path)
        assert page.status_code == 200, path
        assert " style=" not in page.text, path
        assert re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page.text) is None, path
        assert page.headers["cache-control"] == "no-store"


def test_the_cycle_page_filters_to_what_needs_attention(
    bmt: TestClient, mailbox: Mailbox, web_container: Container
) -> None:
    everyone = _text(bmt.get(CYCLE).text)
    failing = bmt.get(CYCLE + "?show=failing").text
    waiting = bmt.get(CYCLE + "?show=waiting").text
    found = _text(bmt.get(CYCLE + "?q=harbour").text)

    assert "Emails failing (1)" in everyone and "SPoCs not acknowledged (13)" in everyone
    failing_id = str(_delivery_id(web_container, FAILING))
    assert re.findall(r'id="delivery-(\d+)"', failing) == [failing_id]
    assert "Email 1 failing" in _text(failing) and "mailbox unavailable" in failing
    assert len(re.findall(r'id="delivery-\d+"', waiting)) == 13
    assert PRIYA not in waiting
    assert "Harbourside Skills Partnership" in found and "Northfield" not in found


def test_email_1_is_resent_once_from_its_confirmation_page(
    bmt: TestClient, mailbox: Mailbox, web_container: Container
) -> None:
    delivery_id = _delivery_id(web_container, "tom.whitaker@example.org")
    path = f"{CYCLE}/deliveries/{delivery_id}/resend-document"
    confirm = bmt.get(path)
    assert "Send email 1 again to Tom Whitaker?" in _text(confirm.text)
    form = {
        "csrf_token": csrf_field(confirm.text),
        "seen": re.search(r'name="seen" value="(\d+)"', confirm.text)[1],  # type: ignore[index]
    }

    first = bmt.post(path, data=form, follow_redirects=False)
    again = bmt.post(path, data=form, follow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == f"{CYCLE}?done=document&delivery={delivery_id}"
    assert again.headers["location"] == f"{CYCLE}?done=already-document&delivery={delivery_id}"
    banner = _text(bmt.get(first.headers["location"]).text)
    assert "Email 1 is on its way again to tom.whitaker@example.org" in banner
    documents = [r for r in outbox_rows(web_container) if r[1] == "tom.whitaker@example.org"]
    assert len(documents) == 2
    ((_, actor, _),) = audit_actions(web_container, "mail:document:resend")
    assert actor == "user:bmt.user"


def test_the_unlock_code_is_offered_again_only_after_acknowledgement(
    bmt: TestClient, mailbox: Mailbox, web_container: Container
) -> None:
    waiting = _delivery_id(web_container, "tom.whitaker@example.org")
    acknowledged = _delivery_id(web_container, PRIYA)
    table = bmt.get(CYCLE).text
    assert f'id="resend-unlock-{acknowledged}"' in table
    assert f'id="resend-unlock-{waiting}"' not in table

    refused = bmt.get(f"{CYCLE}/deliveries/{waiting}/resend-unlock")
    assert "has not acknowledged receipt yet" in _text(refused.text)
    assert 'name="seen"' not in refused.text
    bmt.get("/bmt/export")  # a page with a form: the cookie
    refused_path = f"{CYCLE}/deliveries/{waiting}/resend-unlock"
    post = bmt.post(refused_path, data={"csrf_token": csrf_for(bmt, refused_path), "seen": ""})
    assert post.status_code == 409

    path = f"{CYCLE}/deliveries/{acknowledged}/resend-unlock"
    confirm = bmt.get(path)
    seen = re.search(r'name="seen" value="(\d+)"', confirm.text)[1]  # type: ignore[index]
    sent = bmt.post(path, data={"csrf_token": csrf_field(confirm.text), "seen": seen})
    assert "The unlock code is on its way again to priya.raman@example.org" in _text(sent.text)
    assert len(audit_actions(web_container, "mail:unlock:resend")) == 1


def test_a_delivery_of_another_cycle_is_not_found(
    bmt: TestClient, mailbox: Mailbox, web_container: Container
) -> None:
    delivery_id = _delivery_id(web_container, PRIYA)

    page = bmt.get(f"/bmt/cycles/2027-05/deliveries/{delivery_id}/resend-document")

    assert page.status_code == 404
    assert bmt.get("/bmt/cycles/not-a-cycle").status_code == 404


def test_a_rotation_runs_in_the_background_after_confirmation(
    client: TestClient, app: FastAPI, web_container: Container, clock: Clock
) -> None:
    app.state.rotation_runs = runs = RotationRuns(workers=1)
    import_example_register(web_container)
    clock.now = ISSUE_DAY - timedelta(days=1)  # the day before April's issue day
    bmt = signed_in_client(client, web_container, Role.BMT)
    path = CYCLE + "/rotation"
    page = bmt.get(path)
    assert "Issue the codes for April 2027?" in _text(page.text)
    assert "before the issue day" in _text(page.text)

    unticked = bmt.post(path, data={"csrf_token": csrf_field(page.text)})
    assert unticked.status_code == 422
    assert "Confirm that the register is up to date" in unticked.text

    started = bmt.post(
        path,
        data={"csrf_token": csrf_field(page.text), "register-checked": "yes"},
        follow_redirects=False,
    )
    assert started.status_code == 303 and started.headers["location"] == path
    run = runs.wait(APRIL, timeout=120)
    assert run is not None and run.report is not None and run.error is None

    done = _text(bmt.get(path).text)
    assert "Codes issued" in done and "8 issued now, 0 already had theirs" in done
    assert board_of(web_container, APRIL).counts.codes_issued == 8
    actions = [(a, who) for a, who, _ in audit_actions(web_container, "cycle:rotation")]
    assert actions == [
        ("cycle:rotation:request", "user:bmt.user"),
        ("cycle:rotation:start", "user:bmt.user"),
        ("cycle:rotation:finish", "user:bmt.user"),
    ]
    assert "Every active prime provider has its code" in _text(bmt.get(path).text)


def test_the_export_shows_the_unlock_code_once_and_hands_the_file_over_once(
    bmt: TestClient, mailbox: Mailbox, web_container: Container
) -> None:
    form = bmt.get("/bmt/export")
    assert 'value="2027-04" checked' in form.text

    ready = bmt.post("/bmt/export", data={"csrf_token": csrf_field(form.text), "cycle": "2027-04"})

    assert ready.status_code == 200 and ready.headers["cache-control"] == "no-store"
    unlock_code = re.search(r'id="unlock-code">([^<]+)<', ready.text)[1]  # type: ignore[index]
    ticket = re.search(r'name="ticket" value="([^"]+)"', ready.text)[1]  # type: ignore[index]
    download = {"csrf_token": csrf_field(ready.text), "ticket": ticket}
    file = bmt.post("/bmt/export/download", data=download)
    assert file.status_code == 200
    assert file.headers["cache-control"] == "no-store"
    assert (
        'filename="provider-direct-code-list-2027-04.docx"' in file.headers["content-disposition"]
    )
    assert len(read_code_list(decrypt_document(file.content, unlock_code))) == 8
    assert bmt.post("/bmt/export/download", data=download).status_code == 410
    ((_, actor, details),) = audit_actions(web_container, "code:list:export")
    assert actor == "user:bmt.user" and details["codes"] == 8


def test_an_export_download_is_only_for_the_person_who_exported(
    client: TestClient, app: FastAPI, mailbox: Mailbox, web_container: Container
) -> None:
    make_staff(web_container, "ann", Role.BMT)
    make_staff(web_container, "bob", Role.BMT)
    sign_in(client, "ann")
    form = client.get("/bmt/export")
    ready = client.post(
        "/bmt/export", data={"csrf_token": csrf_field(form.text), "cycle": "2027-04"}
    )
    ticket = re.search(r'name="ticket" value="([^"]+)"', ready.text)[1]  # type: ignore[index]

    with TestClient(app, base_url="http://127.0.0.1:8000") as other:
        sign_in(other, "bob")
        other.get("/bmt/export")
        token = csrf_for(other, "/bmt/export/download")
        taken = other.post("/bmt/export/download", data={"csrf_token": token, "ticket": ticket})

    assert taken.status_code == 410
    token = csrf_for(client, "/bmt/export/download")
    mine = client.post("/bmt/export/download", data={"csrf_token": token, "ticket": ticket})
    assert mine.status_code == 200


def test_the_register_can_be_searched(bmt: TestClient, web_container: Container) -> None:
    import_example_register(web_container)

    everything = _text(bmt.get("/bmt/register").text)
    found = bmt.get("/bmt/register?q=prv004").text

    assert "8 prime providers, 6 subcontractors and 15 SPoCs" in everything
    assert re.findall(r'id="provider-([A-Z0-9]+)"', found) == ["PRV004"]
    assert "sofia.marini@example.org" in found
    assert "No provider matches “nobody”." in _text(bmt.get("/bmt/register?q=nobody").text)


def test_the_bmt_finds_the_dashboard_in_the_navigation(bmt: TestClient) -> None:
    home = bmt.get("/staff").text

    assert 'href="/bmt"' in home and 'href="/bmt/register"' in home


def test_the_cycle_page_counts_providers_not_codes_after_a_reissue(
    bmt: TestClient, mailbox: Mailbox, web_container: Container
) -> None:
    from tests.support.reissue import reissue_provider

    reissue_provider(web_container, "PRV001", reason="A test precaution.", actor="t", source="t")
    page = _text(bmt.get(CYCLE).text)
    assert "All providers (8)" in page
    assert len(re.findall(r"Northfield Employment Services Ltd", page)) == 2  # both codes shown


def test_the_cycle_page_shows_a_provider_the_rotation_could_not_issue(
    bmt: TestClient, app: FastAPI, web_container: Container, clock: Clock
) -> None:
    from sqlalchemy import select

    from codeservice.storage.models import Provider

    app.state.rotation_runs = runs = RotationRuns(workers=1)
    clock.now = ISSUE_DAY
    import_example_register(web_container)
    with web_container.uow() as uow:
        provider = uow.session.scalar(select(Provider).where(Provider.ref == "PRV006"))
        assert provider is not None
        provider.name = "Midlands\x07 Pathways"
        uow.commit()
    runs.start(web_container, APRIL, actor="user:bmt.user", source="web")
    run = runs.wait(APRIL, timeout=120)
    assert run is not None and run.report is not None and run.error is None
    clock.now = NOW

    done = _text(bmt.get(CYCLE + "/rotation").text)
    assert "7 issued now, 0 already had theirs" in done
    assert "1 provider was not issued (the BMT mailbox has been told)" in done
    assert "PRV006: its name contains a control character, U+0007" in done
    page = bmt.get(CYCLE)
    assert page.status_code == 200
    text = _text(page.text)
    assert "The rotation could not issue this code: its name contains a control character" in (text)
    assert "The rotation could not issue 1 of them" in text
