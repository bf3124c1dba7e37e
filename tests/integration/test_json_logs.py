"""With JSON logs, across a whole month — distribution, acknowledgement, a helpline check
and a reissue — every log line is one JSON object with its request id and actor, and
none holds a code, an unlock code, a link token, a password or an API token."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from codeservice import logs
from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.rotation import rotate
from codeservice.web import create_app
from mailer import dispatcher
from mailer.capture import captured, capturing
from tests.integration.web.helpline_world import chars, wrong
from tests.integration.web.links import open_and_confirm
from tests.integration.web.staff import PASSWORD, make_staff, make_token, sign_in
from tests.support.clock import Clock
from tests.support.register import TWO_PRIMES as REGISTER
from tests.support.register import import_register
from tests.support.reissue import reissue_provider
from tests.support.secrets import assert_absent, revealed

APRIL = Cycle(2027, 4)
DURING_APRIL = datetime(2027, 4, 14, 9, 0, tzinfo=UTC)
KEYS = {"time", "level", "logger", "event", "request_id", "actor"}
LINK = re.compile(r"/(?:ack|report)/([A-Za-z0-9_-]{20,})")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every log line, DEBUG and SQL included, written by the JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "sqlalchemy.engine", "httpx")}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
    # The test's own HTTP client (the SPoC's browser) logs the URLs it opens: not ours.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _send(container: Container, maildir: Path) -> list[str]:
    """Send what is due into a capture server; the link tokens of what it received."""
    with capturing(maildir) as server:
        config = replace(container.smtp_config, host="127.0.0.1", port=server.port)
        asyncio.run(
            dispatcher.run(
                container.session_factory, config, container.keyring, once=True, clock=container.now
            )
        )
    return LINK.findall(_bodies(maildir))


def _bodies(maildir: Path) -> str:
    texts: list[str] = []
    for message in captured(maildir):
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                texts.append(payload.decode())
    return "\n".join(texts)


def test_a_whole_month_logs_json_lines_without_secrets(
    container: Container, json_lines: io.StringIO, tmp_path: Path
) -> None:
    clock = Clock(container.calendar.dates(APRIL).issue_at + timedelta(seconds=5))
    service = Container(container.settings, clock=clock)
    import_register(service, REGISTER.encode(), "register.csv", actor="tester")
    make_staff(service, "bmt.user", Role.BMT)
    api_token = make_token(service, "helpline-crm", Role.AGENT)
    crm = {"Authorization": f"Bearer {api_token}"}

    rotate(service.press, APRIL, now=service.now(), actor="scheduler", source="test", workers=1)
    tokens = _send(service, tmp_path / "mail")
    assert len(tokens) >= 3

    with TestClient(create_app(service), base_url="http://127.0.0.1:8000") as client:
        assert sign_in(client, "bmt.user").status_code == 303
        assert client.get("/bmt").status_code == 200  # a page as a signed-in member of staff
        ack = next(LINK.finditer(_bodies(tmp_path / "mail"))).group(0)
        assert ack.startswith("/ack/")
        confirmed = open_and_confirm(client, ack, **{"X-Request-ID": "ack-check-1"})
        assert confirmed.status_code == 200
        assert confirmed.headers["x-request-id"] == "ack-check-1"
        tokens += _send(service, tmp_path / "mail")  # email 2: the unlock code

        clock.now = DURING_APRIL
        started = client.post("/api/v1/challenges", json={"provider_ref": "PRV001"}, headers=crm)
        assert started.status_code == 201, started.text
        unsafe = client.get("/healthz", headers={"X-Request-ID": "no spaces {allowed}"})
        assert re.fullmatch(r"[0-9a-f]{16}", unsafe.headers["x-request-id"])
        code = revealed(service)[0][0]
        body = started.json()
        answered = client.post(
            f"/api/v1/challenges/{body['id']}/answer",
            json={"characters": chars(code, body["positions"])},
            headers=crm,
        )
        assert answered.json() == {"result": "pass"}
        again = client.post("/api/v1/challenges", json={"provider_ref": "PRV001"}, headers=crm)
        second = again.json()
        failed = client.post(
            f"/api/v1/challenges/{second['id']}/answer",
            json={"characters": wrong(code, second["positions"])},
            headers=crm,
        )
        assert failed.json() == {"result": "fail"}

    reissue_provider(service, "PRV001", reason="a SPoC left", actor="cli:officer", source="test")
    tokens += _send(service, tmp_path / "mail")

    codes, unlocks = revealed(service)
    assert len(codes) == 3  # April's two, and PRV001's replacement
    text = json_lines.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]  # each line one JSON object
    assert len(lines) > 100
    assert all(set(line) >= KEYS for line in lines)
    access = [line for line in lines if line["logger"] == "codeservice.web.access"]
    assert all(line["request_id"] for line in access)
    assert any(line["request_id"] == "ack-check-1" for line in access)
    assert any(line["actor"] == "token:helpline-crm" for line in access)
    assert any(line["actor"] == "user:bmt.user" for line in access)
    assert any(line["logger"].startswith("sqlalchemy.engine") for line in lines)
    assert_absent(
        [*codes, *unlocks, *set(tokens), PASSWORD, api_token],
        {"the JSON logs": text.encode()},
    )
