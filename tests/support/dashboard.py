"""A month as the BMT sees it: the example register, a rotation, mail going out (or
not), SPoCs acknowledging from the links in their emails.

Everything goes through the real services: the outbox is worked the way the mail
worker does (claim, then sent or failed), and SPoCs acknowledge with the token read
from their own email, as a browser would.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from random import Random

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.acknowledgement import acknowledge
from codeservice.services.distribution.rotation import RotationReport, rotate
from mailer import claims, outbox
from tests.support.register import import_register_file

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "config" / "providers.example.csv"
APRIL = Cycle(2027, 4)
# Cycle 2027-04: issued Wed 31 Mar 2027 09:00 BST, in force Mon 5 Apr to Mon 3 May.
ISSUE_DAY = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)
PERMANENT_FAILURE = "550 5.1.1 <{}>: mailbox unavailable"
TEMPORARY_FAILURE = "451 4.3.0 try again later"
_ACK_LINK = re.compile(r"/ack/([A-Za-z0-9_-]{43})")
_REPORT_LINK = re.compile(r"/report/([A-Za-z0-9_-]{43})")


@dataclass
class Mailbox:
    """What the SPoCs received: each one's latest acknowledgement link token."""

    ack_tokens: dict[str, str] = field(default_factory=dict)
    report_tokens: dict[str, str] = field(default_factory=dict)  # report-an-incident links
    documents: dict[str, bytes] = field(default_factory=dict)  # the latest attachment
    unlock_emails: dict[str, list[str]] = field(default_factory=dict)  # their text
    delivered: list[tuple[str, str]] = field(default_factory=list)  # (email, category)


def import_example_register(container: Container) -> None:
    import_register_file(container, REGISTER, actor="test", source="test")


def issue(container: Container, cycle: Cycle = APRIL) -> RotationReport:
    return rotate(
        container.press, cycle, now=container.now(), actor="test", source="test", workers=1
    )


def work_outbox(
    container: Container,
    mailbox: Mailbox,
    *,
    failing: Collection[str] = (),
    retrying: Collection[str] = (),
) -> int:
    """Send every due email, as the mail worker would: addresses in ``failing`` are
    refused for good, those in ``retrying`` for now. Returns how many were handled."""
    now = container.now()
    with container.uow() as uow:
        session = uow.session
        entries = claims.claim_due(
            session, worker_id="test-worker", now=now, claim_seconds=60, limit=10_000
        )
        for entry in entries:
            (recipient,) = entry.recipients
            if recipient in failing:
                claims.mark_failed(
                    session,
                    entry.id,
                    "test-worker",
                    error=PERMANENT_FAILURE.format(recipient),
                    now=now,
                )
                continue
            if recipient in retrying:
                claims.mark_retry(
                    session,
                    entry.id,
                    "test-worker",
                    error=TEMPORARY_FAILURE,
                    now=now,
                    rng=Random(1),  # noqa: S311 (the retry's jitter)
                    max_attempts=10,
                )
                continue
            message = outbox.open_message(entry, container.keyring)
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            found = _ACK_LINK.search(body.get_content())
            if entry.category == "access-code-document" and found:
                mailbox.ack_tokens[recipient] = found[1]
                report = _REPORT_LINK.search(body.get_content())
                if report:
                    mailbox.report_tokens[recipient] = report[1]
                for attachment in message.iter_attachments():
                    mailbox.documents[recipient] = attachment.get_content()
            if entry.category == "unlock-code":
                mailbox.unlock_emails.setdefault(recipient, []).append(body.get_content())
            claims.mark_sent(session, entry.id, "test-worker", smtp_response="250 OK", now=now)
            mailbox.delivered.append((recipient, entry.category))
        uow.commit()
    return len(entries)


def acknowledge_as(container: Container, mailbox: Mailbox, email: str) -> None:
    now = container.now()
    with container.transaction() as uow:
        acknowledge(
            uow,
            container.mailroom,
            mailbox.ack_tokens[email],
            ip="192.0.2.10",
            user_agent="test browser",
            now=now,
        )
