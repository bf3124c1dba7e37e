from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.web.access_log import redact_path
from tests.integration.web.links import csrf_field, make_ack_link


def test_token_paths_are_redacted() -> None:
    token = "x" * 43
    assert redact_path(f"/ack/{token}") == "/ack/…"
    assert redact_path(f"/ack/{token}/more") == "/ack/…"
    assert redact_path(f"/set-password/{token}") == "/set-password/…"
    assert redact_path("/ack/short") == "/ack/…"
    assert redact_path(f"/something/{token}") == "/something/…"
    assert redact_path("/healthz") == "/healthz"
    # Paths no route takes, as a client may send them: the token still goes.
    assert redact_path(f"//ack/{token}.") == "//ack/…"
    assert redact_path(f"/ACK/{token}") == "/ACK/…"
    assert redact_path(f"/report/{token}/sent/IR-1") == "/report/…"
    assert redact_path(f"/something/{token}.docx") == "/something/….docx"
    assert redact_path(f"/a/b.{token}") == "/a/b.…"
    assert redact_path("/ack") == "/ack"
    assert redact_path("/assets/fonts/bold-b542beb274-v2.woff2") == (
        "/assets/fonts/bold-b542beb274-v2.woff2"
    )


def test_the_logs_never_hold_a_link_token(
    web_container: Container, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    link = make_ack_link(web_container)
    unknown = "Q" * 43

    with caplog.at_level(logging.DEBUG):
        field = csrf_field(client.get(link.path + "?utm=1").text)
        client.post(link.path, data={"csrf_token": field})
        client.post(link.path, data={"csrf_token": field})
        client.post(link.path, data={})
        client.get(f"/ack/{unknown}")
        client.post(f"/ack/{unknown}", data={"csrf_token": field})

    access = [r.getMessage() for r in caplog.records if r.name == "codeservice.web.access"]
    assert len(access) == 6
    assert all('/ack/… HTTP/1.1"' in line for line in access), access
    assert not any("utm" in line for line in access)  # no query strings
    # Everything the service logged: the test's own HTTP client (httpx) logs the URLs
    # it requests, on its side of the connection.
    service = [r for r in caplog.records if not r.name.startswith("httpx")]
    logged = "\n".join(logging.Formatter().format(r) for r in service)
    assert service
    assert link.token not in logged
    assert unknown not in logged
