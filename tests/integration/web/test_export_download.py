"""The helpline export's one download works whichever web process the POST reaches."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.documents import decrypt_document
from codeservice.documents.code_list import read_code_list
from codeservice.domain.accounts import Role
from codeservice.web import create_app
from tests.integration.web.links import NOW, csrf_field
from tests.integration.web.staff import signed_in_client
from tests.support.clock import Clock
from tests.support.dashboard import ISSUE_DAY, import_example_register, issue

BASE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def issued(web_container: Container, clock: Clock) -> None:
    clock.now = ISSUE_DAY
    import_example_register(web_container)
    issue(web_container)
    clock.now = NOW


@pytest.fixture
def second_app(container: Container, clock: Clock) -> Iterator[FastAPI]:
    """Another web process: its own container and app over the same database and keys."""
    built = Container(container.settings, clock=clock)
    yield create_app(built)
    built.close()


def test_the_file_exported_on_one_process_downloads_from_another_once(
    client: TestClient, web_container: Container, second_app: FastAPI, issued: None
) -> None:
    first = signed_in_client(client, web_container, Role.BMT)
    form = first.get("/bmt/export")
    ready = first.post(
        "/bmt/export", data={"csrf_token": csrf_field(form.text), "cycle": "2027-04"}
    )
    assert ready.status_code == 200
    unlock_code = re.search(r'id="unlock-code">([^<]+)<', ready.text)[1]  # type: ignore[index]
    ticket = re.search(r'name="ticket" value="([^"]+)"', ready.text)[1]  # type: ignore[index]
    download = {"csrf_token": csrf_field(ready.text), "ticket": ticket}

    with TestClient(second_app, base_url=BASE_URL) as second:
        second.cookies.update(first.cookies)  # the load balancer sends the POST elsewhere
        file = second.post("/bmt/export/download", data=download)
        again = second.post("/bmt/export/download", data=download)

    assert file.status_code == 200, file.text
    assert file.headers["cache-control"] == "no-store"
    assert (
        'filename="provider-direct-code-list-2027-04.docx"' in (file.headers["content-disposition"])
    )
    assert len(read_code_list(decrypt_document(file.content, unlock_code))) == 8
    assert again.status_code == 410
    assert "already been used or has expired" in again.text
    assert first.post("/bmt/export/download", data=download).status_code == 410
