"""The monthly job end to end: register → rotate → SMTP → acknowledge → unlock code.

Real parts throughout: the database (SQLite and PostgreSQL), an aiosmtpd server, the
web app over HTTP, msoffcrypto-tool on the attachment.
"""

from __future__ import annotations

import asyncio
import email
import io
import re
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

import olefile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from codeservice.bootstrap import Container, bootstrap
from codeservice.documents import (
    DocumentPasswordError,
    decrypt_document,
    encryption_parameters,
    read_access_code,
)
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.codes import reveal_access_code, reveal_unlock_code
from codeservice.services.distribution.mail_events import audit_mail_outcomes
from codeservice.services.distribution.rotation import rotate
from codeservice.storage.models import AccessCode, AuditRecord, Delivery, Spoc
from codeservice.web import create_app
from mailer import dispatcher
from mailer.capture import captured, capturing
from mailer.schema import outbox
from tests.integration.web.links import csrf_field
from tests.support.register import import_register_file

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "config" / "providers.example.csv"
# Cycle 2027-04 is issued Wed 31 Mar 2027 09:00 BST.
ISSUE_TIME = datetime(2027, 3, 31, 8, 0, 5, tzinfo=UTC)
CYCLE = Cycle.parse("2027-04")
ACK_LINK = re.compile(r"http://127\.0\.0\.1:8000(/ack/[A-Za-z0-9_-]+)")


def _send_all(app: Container) -> dispatcher.DispatchSummary:
    return asyncio.run(
        dispatcher.run(
            app.session_factory,
            app.smtp_config,
            app.mail_sealer,
            once=True,
            clock=app.now,
            on_outcomes=audit_mail_outcomes(app.keyring),
        )
    )


def _text(message: Message) -> str:
    return "\n".join(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() in {"text/plain", "text/html"}
    )


def _attachments(message: Message) -> list[bytes]:
    return [
        part.get_payload(decode=True)
        for part in message.walk()
        if part.get_content_disposition() == "attachment"
    ]


@pytest.fixture
def mail_app(app_env: dict[str, str], container: Container, tmp_path: Path):
    maildir = tmp_path / "captured"
    with capturing(maildir) as server:
        env = dict(app_env, CODESERVICE_SMTP_PORT=str(server.port))
        app = bootstrap(env, clock=lambda: ISSUE_TIME)
        yield app, maildir
        app.close()


def test_the_monthly_distribution_end_to_end(mail_app) -> None:
    app, maildir = mail_app
    import_register_file(app, REGISTER, actor="test")
    report = rotate(app.press, CYCLE, now=app.now(), actor="test", source="test", workers=2)
    summary = _send_all(app)

    with app.uow() as uow:
        spoc_emails = list(uow.session.scalars(select(Spoc.email).where(Spoc.active.is_(True))))
        codes = uow.session.scalar(
            select(func.count()).select_from(AccessCode).where(AccessCode.cycle == str(CYCLE))
        )
    assert report.issued == codes == report.providers > 0
    assert summary.sent == len(spoc_emails) == report.emails_queued
    with app.uow() as uow:
        sends = uow.session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.action == "mail:message:send")
        )
    assert sends == summary.sent

    messages = [email.message_from_bytes(m.as_bytes()) for m in captured(maildir)]
    recipients = sorted(email.utils.parseaddr(m["To"])[1] for m in messages)
    assert recipients == sorted(spoc_emails)  # exactly one email 1 each

    by_recipient = {email.utils.parseaddr(m["To"])[1]: m for m in messages}
    first = next(iter(by_recipient.values()))
    attachment = _attachments(first)[0]
    assert olefile.isOleFile(io.BytesIO(attachment))
    parameters = encryption_parameters(attachment)
    assert (
        parameters.cipher,
        parameters.key_bits,
        parameters.hash_algorithm,
        parameters.spin_count,
    ) == ("AES", 256, "SHA512", 100000)
    with pytest.raises(DocumentPasswordError):
        decrypt_document(attachment, "not-the-unlock-code")

    # No email 1 holds the access code or the unlock code.
    with app.uow() as uow:
        for code in uow.session.scalars(select(AccessCode)):
            plain, unlock = (
                reveal_access_code(app.keyring, code),
                reveal_unlock_code(app.keyring, code),
            )
            for message in messages:
                raw = message.as_string()
                assert plain not in raw and unlock not in raw

    # The SPoC follows the link: GET changes nothing, POST queues exactly one email 2.
    spoc_email = email.utils.parseaddr(first["To"])[1]
    path = ACK_LINK.search(_text(first)).group(1)
    client = TestClient(create_app(app), base_url="http://127.0.0.1:8000")

    def counts() -> tuple[int, int]:
        with app.uow() as uow:
            acknowledged = uow.session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.acknowledged_at.is_not(None))
            )
            queued = uow.session.scalar(select(func.count()).select_from(outbox))
        return acknowledged, queued

    before = counts()
    page = client.get(path)
    assert page.status_code == 200
    assert counts() == before
    confirmed = client.post(path, data={"csrf_token": csrf_field(page.text)})
    assert confirmed.status_code == 200
    assert counts() == (before[0] + 1, before[1] + 1)
    again = client.post(
        path, data={"csrf_token": csrf_field(page.text)}
    )  # the page left open in two tabs
    assert "already" in again.text.lower()
    assert counts() == (before[0] + 1, before[1] + 1)

    assert _send_all(app).sent == 1
    unlock_messages = [email.message_from_bytes(m.as_bytes()) for m in captured(maildir)][
        len(messages) :
    ]
    assert [email.utils.parseaddr(m["To"])[1] for m in unlock_messages] == [spoc_email]
    email2 = unlock_messages[0]
    assert not _attachments(email2)  # no document with the unlock code
    unlock_code = re.search(r"\b([a-z2-9]{4}(?:-[a-z2-9]{4}){4,})\b", _text(email2)).group(1)

    document = decrypt_document(attachment, unlock_code)
    with pytest.raises(DocumentPasswordError):
        decrypt_document(attachment, unlock_code.upper())
    code_in_document = read_access_code(document)
    with app.uow() as uow:
        provider_code = uow.session.scalars(
            select(AccessCode).join(Delivery).join(Spoc).where(Spoc.email == spoc_email)
        ).first()
        assert reveal_access_code(app.keyring, provider_code) == code_in_document
        assert code_in_document not in _text(email2)


def test_rotating_again_issues_nothing_new(mail_app) -> None:
    app, _maildir = mail_app
    import_register_file(app, REGISTER, actor="test")
    first = rotate(app.press, CYCLE, now=app.now(), actor="test", source="test", workers=1)
    second = rotate(app.press, CYCLE, now=app.now(), actor="test", source="test", workers=1)
    assert first.issued > 0
    assert second.issued == 0
    assert second.already_done == first.issued
