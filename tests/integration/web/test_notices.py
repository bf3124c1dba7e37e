"""Telling every SPoC at once (§56): write, preview, confirm, watch the delivery."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.storage.models import AuditRecord, Notice, NoticeRecipient, Provider, Spoc
from mailer import outbox
from tests.integration.web.links import change, csrf_field_of_form, csrf_for, outbox_rows
from tests.integration.web.staff import audit_actions, signed_in_client
from tests.support.dashboard import Mailbox, import_example_register, work_outbox

NOTICES = "/bmt/notices"
NEW = "/bmt/notices/new"
PREVIEW = "/bmt/notices/preview"
SUBJECT = "Provider Direct cannot take calls this morning"
TEXT = "Our telephone system has failed.\n\nWe expect calls back by 2pm.\tThank you."
GONE = "tom.whitaker@example.org"  # a SPoC the BMT removed
CLOSED = ("marcus.reid@example.com", "leah.goldberg@example.com", "kwame.mensah@example.com")
FAILING = "a.okafor@example.com"
RETRYING = "daniel.hughes@example.net"


@pytest.fixture
def register(web_container: Container) -> set[str]:
    """The example register with one SPoC removed and one provider closed; the
    addresses a notice goes to."""
    import_example_register(web_container)
    with web_container.uow() as uow:
        spoc = uow.session.scalar(select(Spoc).where(Spoc.email == GONE))
        closed = uow.register.get_provider("PRV008")
        assert spoc is not None and closed is not None
        spoc_id, provider_id = spoc.id, closed.id
        every = {s.email for s in uow.session.scalars(select(Spoc))}
    change(web_container, Spoc, spoc_id, active=False)
    change(web_container, Provider, provider_id, active=False)
    return every - {GONE, *CLOSED}


@pytest.fixture
def bmt(client: TestClient, web_container: Container) -> TestClient:
    return signed_in_client(client, web_container, Role.BMT)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


def _preview(client: TestClient, subject: str = SUBJECT, text: str = TEXT) -> Any:
    form = client.get(NEW)
    data = {"csrf_token": csrf_field_of_form(form.text, PREVIEW), "subject": subject, "text": text}
    return client.post(PREVIEW, data=data)


def _confirm_data(preview: Any) -> dict[str, str]:
    page = preview.text
    return {
        "csrf_token": csrf_field_of_form(page, NOTICES),
        "key": _hidden(page, "key"),
        "subject": _hidden(page, "subject"),
        "text": _hidden(page, "text"),
    }


def _state(container: Container) -> dict[str, list[Any]]:
    mail = outbox_rows(container)
    with container.uow() as uow:
        session = uow.session
        return {
            "notices": list(session.scalars(select(Notice.id))),
            "recipients": list(session.scalars(select(NoticeRecipient.id))),
            "outbox": mail,
            "audit": list(session.scalars(select(AuditRecord.seq))),
        }


def test_a_notice_is_previewed_then_sent_to_every_active_spoc_once(
    bmt: TestClient, web_container: Container, register: set[str]
) -> None:
    before = _state(web_container)
    preview = _preview(bmt)

    assert preview.status_code == 200
    shown = _text(preview.text)
    assert f"It goes to {len(register)} active SPoCs" in shown
    assert f'id="email-subject">Provider Direct: {SUBJECT}</dd>' in preview.text
    assert "Our telephone system has failed." in shown
    assert _hidden(preview.text, "text") == TEXT
    assert _state(web_container) == before  # a preview changes nothing

    sent = bmt.post(NOTICES, data=_confirm_data(preview), follow_redirects=False)

    assert sent.status_code == 303
    (notice_id,) = _state(web_container)["notices"]
    assert sent.headers["location"] == f"{NOTICES}/{notice_id}"
    notices = [(to, kind) for _, to, kind in outbox_rows(web_container) if kind == "notice"]
    assert sorted(to for to, _ in notices) == sorted(register)
    ids = [row[0] for row in outbox_rows(web_container)]
    with web_container.uow() as uow:
        entries = outbox.by_ids(uow.session, ids)
        message = outbox.open_message(entries[0], web_container.keyring)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().startswith(TEXT + "\n")
    assert message["Subject"] == f"Provider Direct: {SUBJECT}"
    ((action, actor, details),) = audit_actions(web_container, "mail:notice")
    assert (action, actor) == ("mail:notice:queue", "user:bmt.user")
    assert details == {"notice_id": notice_id, "spocs": len(register), "providers": 7}

    page = bmt.get(sent.headers["location"])
    assert page.status_code == 200
    assert f"Queued {len(register)}" in _text(page.text)
    assert page.text.count("govuk-tag--blue") == len(register)


def test_the_delivery_page_shows_sent_failing_and_failed(
    bmt: TestClient, web_container: Container, register: set[str]
) -> None:
    sent = bmt.post(NOTICES, data=_confirm_data(_preview(bmt)))
    work_outbox(web_container, Mailbox(), failing=[FAILING], retrying=[RETRYING])

    page = _text(bmt.get(sent.url.path).text)

    assert f"Sent {len(register) - 2}" in page
    assert "Failed 1" in page and "Failing 1" in page
    assert "mailbox unavailable" in page and "try again later" in page
    listing = _text(bmt.get(NOTICES).text)
    assert f"{SUBJECT} " in listing and "bmt.user" in listing
    assert f" {len(register)}" in listing


def test_confirming_twice_sends_once(
    bmt: TestClient, web_container: Container, register: set[str]
) -> None:
    data = _confirm_data(_preview(bmt))

    first = bmt.post(NOTICES, data=data, follow_redirects=False)
    second = bmt.post(NOTICES, data=data, follow_redirects=False)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    state = _state(web_container)
    assert len(state["notices"]) == 1
    assert len(state["recipients"]) == len(state["outbox"]) == len(register)
    assert len(audit_actions(web_container, "mail:notice")) == 1


TOO_LONG = "x" * 151
BAD_INPUT = [
    ("", TEXT, "subject", "Enter a subject"),
    (TOO_LONG, TEXT, "subject", "Subject must be 150 characters or fewer"),
    (
        "Calls \x07 down",
        TEXT,
        "subject",
        "Subject contains a control character, U+0007, at character 7",
    ),
    ("Calls\ndown", TEXT, "subject", "Subject contains a line break"),
    (SUBJECT, "  ", "text", "Enter the text of the notice"),
    (SUBJECT, "y" * 5001, "text", "Text must be 5000 characters or fewer"),
    (
        SUBJECT,
        "Back at 2pm\x1b[0m",
        "text",
        "Text contains a control character, U+001B, at character 12",
    ),
]


@pytest.mark.parametrize(("subject", "text", "field", "message"), BAD_INPUT)
def test_bad_input_names_the_field_and_changes_nothing(
    bmt: TestClient,
    web_container: Container,
    register: set[str],
    subject: str,
    text: str,
    field: str,
    message: str,
) -> None:
    before = _state(web_container)
    good = _confirm_data(_preview(bmt))

    previewed = _preview(bmt, subject, text)
    confirmed = bmt.post(NOTICES, data={**good, "subject": subject, "text": text})

    for page in (previewed, confirmed):
        assert page.status_code == 422
        assert f'href="#{field}"' in page.text
        assert message in _text(page.text), _text(page.text)[:900]
        assert f'id="{field}-error"' in page.text
        assert page.text.startswith("<!DOCTYPE html>")
    assert _state(web_container) == before


def test_a_form_without_its_token_is_refused(
    bmt: TestClient, web_container: Container, register: set[str]
) -> None:
    before = _state(web_container)
    data = _confirm_data(_preview(bmt))

    missing = bmt.post(NOTICES, data={**data, "csrf_token": ""})
    other_form = bmt.post(NOTICES, data={**data, "csrf_token": csrf_for(bmt, PREVIEW)})
    no_preview_token = bmt.post(PREVIEW, data={"subject": SUBJECT, "text": TEXT})

    assert missing.status_code == other_form.status_code == no_preview_token.status_code == 400
    assert _state(web_container) == before


def test_a_made_up_notice_id_sends_nothing(
    bmt: TestClient, web_container: Container, register: set[str]
) -> None:
    data = _confirm_data(_preview(bmt))

    refused = bmt.post(NOTICES, data={**data, "key": "../../etc"})

    assert refused.status_code == 422
    assert "write it again and preview it" in _text(refused.text)
    assert _state(web_container)["notices"] == []


def test_with_nobody_on_the_register_nothing_can_be_sent(
    bmt: TestClient, web_container: Container
) -> None:
    preview = _preview(bmt)

    assert preview.status_code == 200
    assert "there is nobody to tell" in _text(preview.text)
    assert 'id="confirm"' not in preview.text
    data = {
        "csrf_token": csrf_for(bmt, NOTICES),
        "key": "0" * 32,
        "subject": SUBJECT,
        "text": TEXT,
    }
    refused = bmt.post(NOTICES, data=data)
    assert refused.status_code == 409
    assert _state(web_container)["notices"] == []


def test_change_goes_back_to_the_form_as_typed(bmt: TestClient, register: set[str]) -> None:
    preview = _preview(bmt)
    data = {
        "csrf_token": csrf_field_of_form(preview.text, NEW),
        "subject": _hidden(preview.text, "subject"),
        "text": _hidden(preview.text, "text"),
    }

    form = bmt.post(NEW, data=data)

    assert form.status_code == 200
    assert f'value="{SUBJECT}"' in form.text
    assert "Our telephone system has failed." in form.text
