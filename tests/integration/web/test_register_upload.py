"""The register CSV in the browser: upload, preview (nothing changes), apply once."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.storage.models import Provider, RegisterUpload, Spoc
from codeservice.web import create_app
from tests.integration.web.links import csrf_field_of_form, csrf_for, make_ack_link
from tests.integration.web.staff import audit_actions, sign_in, signed_in_client
from tests.support.clock import Clock
from tests.support.retention import purge

UPLOAD = "/bmt/register/upload"
APPLY = "/bmt/register/apply"
HEADER = "ref,name,prime_ref,spoc_name,spoc_email\n"
FIRST = HEADER + (
    "PRV001,Northfield Ltd,,Ann Lee,ann.lee@example.org\n"
    "PRV002,Southgate plc,,Bob Roy,bob.roy@example.org\n"
    "SUB001,Eastway CIC,PRV001,,\n"
)
SECOND = HEADER + (
    "PRV001,Northfield Group Ltd,,Ann Lee,ann.lee@example.org\n"
    "PRV001,Northfield Group Ltd,,Cat Diaz,cat.diaz@example.org\n"
    "PRV003,Westbury Trust,,Dev Shah,dev.shah@example.org\n"
)


@pytest.fixture
def bmt(client: TestClient, web_container: Container) -> TestClient:
    return signed_in_client(client, web_container, Role.BMT)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _upload(client: TestClient, data: bytes | str, *, prune: bool = False) -> Any:
    form = client.get(UPLOAD)
    assert form.status_code == 200
    fields = {"csrf_token": csrf_field_of_form(form.text, UPLOAD)}
    if prune:
        fields["prune"] = "yes"
    body = data.encode() if isinstance(data, str) else data
    return client.post(UPLOAD, data=fields, files={"file": ("register.csv", body, "text/csv")})


def _apply(client: TestClient, preview: Any) -> Any:
    key = re.search(r'name="key" value="([0-9a-f]{32})"', preview.text)
    assert key, "the preview carries its key"
    fields = {"csrf_token": csrf_field_of_form(preview.text, APPLY), "key": key.group(1)}
    return client.post(APPLY, data=fields, follow_redirects=False)


def _register(container: Container) -> list[tuple[Any, ...]]:
    with container.uow() as uow:
        providers = [(p.ref, p.name, p.active) for p in uow.session.scalars(select(Provider))]
        spocs = [(s.email, s.name, s.active) for s in uow.session.scalars(select(Spoc))]
    return sorted(providers) + sorted(spocs)


def test_upload_preview_then_apply(bmt: TestClient, web_container: Container) -> None:
    preview = _upload(bmt, FIRST)
    assert preview.status_code == 200, preview.text
    text = _text(preview.text)
    assert "Providers added (3)" in text and "SPoCs added (2)" in text
    assert "PRV001 Northfield Ltd" in text and "ann.lee@example.org" in text
    assert _register(web_container) == []  # a preview changes nothing

    done = _apply(bmt, preview)
    assert done.status_code == 303
    result = bmt.get(done.headers["location"])
    assert result.status_code == 200 and "The register is updated" in result.text
    assert ("PRV001", "Northfield Ltd", True) in _register(web_container)
    [(_, actor, details)] = audit_actions(web_container, "register:import:apply")
    assert actor == "user:bmt.user" and details["providers_added"] == 3
    assert details["spocs_added"] == 2 and details["prune"] is False

    # The second file: one renamed, a SPoC added, one provider new; with prune, the rest go.
    preview = _upload(bmt, SECOND, prune=True)
    text = _text(preview.text)
    assert "Providers changed (1)" in text and "becomes “Northfield Group Ltd”" in text
    assert "Providers deactivated (2)" in text and "SUB001" in text
    assert "SPoCs deactivated (1)" in text and "bob.roy@example.org" in text
    assert _apply(bmt, preview).status_code == 303
    state = _register(web_container)
    assert ("PRV002", "Southgate plc", False) in state
    assert ("cat.diaz@example.org", "Cat Diaz", True) in state
    with web_container.uow() as uow:
        uploads = [
            (u.applied_at is not None, u.data) for u in uow.session.scalars(select(RegisterUpload))
        ]
    assert uploads == [(True, b""), (True, b"")]


def test_bad_lines_are_named_and_nothing_changes(bmt: TestClient, web_container: Container) -> None:
    bad = HEADER + (
        "PRV001,Northfield Ltd,,Ann Lee,not-an-address\n"
        "PRV002,,,Bob Roy,bob.roy@example.org\n"
        "SUB001,Eastway CIC,PRV009,,\n"
    )
    answer = _upload(bmt, bad)
    assert answer.status_code == 422
    text = _text(answer.text)
    assert "register.csv: 3 problems found; nothing was imported" in text
    assert "register.csv:2: spoc_email 'not-an-address' is not a valid email address" in text
    assert "register.csv:3: name is empty" in text
    assert "register.csv:4: prime_ref 'PRV009' names no prime provider" in text
    assert 'name="key"' not in answer.text  # no button to apply
    assert _register(web_container) == []
    with web_container.uow() as uow:
        assert uow.session.scalar(select(RegisterUpload)) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "register.csv is empty"),
        (HEADER.encode() + "PRV001,Caf\xe9,,A,a@example.org\n".encode("latin-1"), "not UTF-8"),
        (HEADER + "PRV001,North\x07field,,Ann Lee,ann.lee@example.org\n", "name"),
        (HEADER * 40, "has 40 lines; a register import takes at most 30"),
    ],
    ids=["empty", "not-utf8", "control-character", "too-many-lines"],
)
def test_bad_files_change_nothing(
    web_container: Container, data: bytes | str, message: str
) -> None:
    with _limited(web_container, register_max_lines=30) as bmt:
        answer = _upload(bmt, data)
    assert answer.status_code == 422
    assert message in _text(answer.text)
    assert _register(web_container) == []


def test_a_file_over_the_size_limit_is_refused(web_container: Container) -> None:
    with _limited(web_container, register_max_bytes=200) as bmt:
        answer = _upload(bmt, FIRST + "PRV009,Far Too Long Ltd,,Zed Zee,zed@example.org\n" * 3)
        assert answer.status_code == 422
        assert "a register import takes at most 200 bytes" in _text(answer.text)
        # Past the limit and the room for the form around it: refused before it is read.
        huge = _upload(bmt, "x" * (200 + 70 * 1024))
        assert huge.status_code == 413
    assert _register(web_container) == []


@contextmanager
def _limited(web_container: Container, **limits: int) -> Iterator[TestClient]:
    service = Container(replace(web_container.settings, **limits), clock=web_container.clock)
    try:
        with TestClient(create_app(service), base_url="http://127.0.0.1:8000") as client:
            yield signed_in_client(client, service, Role.BMT)
    finally:
        service.close()


def test_a_double_click_applies_once(bmt: TestClient, web_container: Container) -> None:
    preview = _upload(bmt, FIRST)
    first, second = _apply(bmt, preview), _apply(bmt, preview)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(audit_actions(web_container, "register:import:apply")) == 1
    assert len([row for row in _register(web_container) if row[0].startswith("PRV")]) == 2


def test_a_stale_preview_is_refused(bmt: TestClient, web_container: Container) -> None:
    stale = _upload(bmt, FIRST)
    fresh = _upload(bmt, SECOND)
    assert _apply(bmt, fresh).status_code == 303
    before = _register(web_container)
    refused = _apply(bmt, stale)
    assert refused.status_code == 409
    assert "The register has changed since this preview was made" in _text(refused.text)
    assert _register(web_container) == before
    assert len(audit_actions(web_container, "register:import:apply")) == 1


def test_an_unknown_key_changes_nothing(bmt: TestClient, web_container: Container) -> None:
    fields = {"csrf_token": csrf_for(bmt, APPLY), "key": "0" * 32}
    refused = bmt.post(APPLY, data=fields)
    assert refused.status_code == 404 and "upload the file again" in _text(refused.text)


def test_no_file_or_text_in_its_place_is_named_against_the_field(
    bmt: TestClient, web_container: Container
) -> None:
    """A script, or a form filled in by hand: the page names the field, never Python."""
    token = csrf_for(bmt, UPLOAD)
    for fields in ({"csrf_token": token}, {"csrf_token": token, "file": "register.csv"}):
        answer = bmt.post(UPLOAD, data=fields, files={"prune": (None, "")})
        assert answer.status_code == 422
        text = _text(answer.text)
        assert 'href="#file"' in answer.text and "Select a CSV file" in text
        assert "class" not in text and "UploadFile" not in text
    assert _register(web_container) == []


def test_the_upload_form_needs_its_csrf_field(bmt: TestClient, web_container: Container) -> None:
    answer = bmt.post(UPLOAD, files={"file": ("register.csv", FIRST.encode(), "text/csv")})
    assert answer.status_code == 400
    assert _register(web_container) == []


def test_a_providers_page(bmt: TestClient, web_container: Container) -> None:
    assert _apply(bmt, _upload(bmt, FIRST)).status_code == 303
    assert _apply(bmt, _upload(bmt, SECOND)).status_code == 303  # renamed, a SPoC added
    register = bmt.get("/bmt/register")
    assert 'href="/bmt/register/PRV001"' in register.text
    page = bmt.get("/bmt/register/PRV001")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Northfield Group Ltd" in text and "cat.diaz@example.org" in text
    assert "No code has been issued to this provider." in text
    assert "Not approved" in text
    history = text[text.index("History") :]
    assert history.count("register:import:apply") == 2
    assert "SPoC added, provider changed; from register.csv" in history
    assert "SPoC added, provider added; from register.csv" in history
    sub = _text(bmt.get("/bmt/register/SUB001").text)
    assert "Subcontractor of PRV001" in sub
    assert bmt.get("/bmt/register/NOPE999").status_code == 404


def test_a_providers_codes_show_their_state_only(bmt: TestClient, web_container: Container) -> None:
    link = make_ack_link(web_container)
    page = bmt.get("/bmt/register/PRV001")
    assert page.status_code == 200
    codes = _text(page.text)
    codes = codes[codes.index("Codes") : codes.index("History")]
    assert "April 2027 Issued" in codes
    assert "Plan approved 2024-02-05" in _text(page.text)  # as make_ack_link records it
    with web_container.uow() as uow:
        document_ref = uow.codes.of_provider(1)[0].document_ref
    assert link.token not in page.text and document_ref not in page.text


def test_an_upload_never_applied_goes_after_a_day(
    bmt: TestClient, web_container: Container, clock: Clock
) -> None:
    stale = _upload(bmt, FIRST)
    clock.now += timedelta(hours=23)
    assert (
        purge(web_container, actor="test", source="test", now=web_container.now()).register_uploads
        == 0
    )
    clock.now += timedelta(hours=2)
    assert (
        purge(web_container, actor="test", source="test", now=web_container.now()).register_uploads
        == 1
    )
    with web_container.uow() as uow:
        assert uow.session.scalar(select(RegisterUpload)) is None
    assert sign_in(bmt, "bmt.user").status_code == 303  # the session ended meanwhile
    key = re.search(r'name="key" value="([0-9a-f]{32})"', stale.text)
    assert key
    gone = bmt.post(APPLY, data={"csrf_token": csrf_for(bmt, APPLY), "key": key.group(1)})
    assert gone.status_code == 404 and _register(web_container) == []
