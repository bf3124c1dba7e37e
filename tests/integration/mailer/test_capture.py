from __future__ import annotations

import asyncio
import email
import email.policy
from pathlib import Path

import aiosmtplib
from sqlalchemy.orm import Session, sessionmaker

from mailer import dispatcher
from mailer.capture import captured, capturing
from tests.integration.mailer.support import AesGcmSealer, config_for, message, queue
from tests.support.clock import Clock


def test_a_message_sent_to_the_capture_server_lands_in_the_maildir(tmp_path: Path) -> None:
    maildir = tmp_path / "mail"
    with capturing(maildir) as server:
        asyncio.run(
            aiosmtplib.send(
                message(to="ann@provider.example.org", subject="Captured"),
                hostname="127.0.0.1",
                port=server.port,
            )
        )
    [stored] = captured(maildir)
    assert stored["Subject"] == "Captured"
    assert stored["Delivered-To"] == "ann@provider.example.org"
    assert stored["Return-Path"] == "<bmt@example.gov.uk>"
    assert (maildir / "new").is_dir()


def test_the_dispatcher_delivers_the_outbox_into_the_capture_server(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    sealer: AesGcmSealer,
    clock: Clock,
) -> None:
    for n in range(3):
        queue(sessions, sealer, clock(), f"k{n}", to=f"spoc{n}@provider.example.org")
    with capturing(tmp_path / "mail") as server:
        summary = asyncio.run(
            dispatcher.run(sessions, config_for(server.port), sealer, once=True, clock=clock)
        )
    assert summary.sent == 3
    stored = captured(tmp_path / "mail")
    assert sorted(m["Delivered-To"] for m in stored) == [
        f"spoc{n}@provider.example.org" for n in range(3)
    ]
    parsed = email.message_from_bytes(stored[0].as_bytes(), policy=email.policy.default)
    assert parsed.get_body().get_content().strip() == "Hello"  # type: ignore[union-attr]
