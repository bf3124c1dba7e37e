from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.acknowledgement import acknowledge
from codeservice.services.distribution.rotation import rotate
from codeservice.storage.models import AuditRecord
from mailer.capture import captured
from mailer.schema import outbox
from tests.integration.scheduler.support import (
    ANN,
    BEN,
    CAT,
    acknowledge_directly,
    load_register,
    mail_server,
    send_mail,
)
from tests.support.clock import Clock
from tests.support.mail_jobs import escalate, send_reminders

APRIL = Cycle.parse("2027-04")
ISSUE = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)  # Wed 31 Mar 2027 09:00 BST
THURSDAY, FRIDAY = date(2027, 4, 1), date(2027, 4, 2)
THURSDAY_9AM = datetime(2027, 4, 1, 8, 0, tzinfo=UTC)
FRIDAY_9AM = datetime(2027, 4, 2, 8, 0, tzinfo=UTC)
ACK_LINK = re.compile(r"http://127\.0\.0\.1:8000/ack/([A-Za-z0-9_-]{43})")


@pytest.fixture
def clock() -> Clock:
    return Clock(ISSUE)


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "captured"


@pytest.fixture
def app(container: Container, clock: Clock, maildir: Path) -> Iterator[Container]:
    with mail_server(Container(container.settings, clock=clock), maildir) as built:
        load_register(built)
        yield built


def issued_and_sent(app: Container) -> None:
    rotate(app.press, APRIL, now=app.now(), actor="test", source="test", workers=1)
    assert send_mail(app).sent == 3


def messages(maildir: Path, subject_starts: str) -> list[EmailMessage]:
    found = []
    for raw in captured(maildir):
        parsed = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        if str(parsed["Subject"]).startswith(subject_starts):
            found.append(parsed)
    return found


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content()


def reminder_keys(app: Container) -> list[str]:
    with app.uow() as uow:
        return sorted(
            uow.session.scalars(select(outbox.c.dedupe_key).where(outbox.c.category == "reminder"))
        )


def test_reminders_go_once_a_day_to_spocs_who_have_not_acknowledged(
    app: Container, clock: Clock, maildir: Path
) -> None:
    issued_and_sent(app)
    acknowledge_directly(app, ANN, "2027-04", ISSUE)

    clock.now = THURSDAY_9AM
    first = send_reminders(
        app, APRIL, THURSDAY, actor="system:scheduler", source="scheduler", now=app.now()
    )
    again = send_reminders(
        app, APRIL, THURSDAY, actor="system:scheduler", source="scheduler", now=app.now()
    )
    assert (first.queued, first.already) == (2, 0)
    assert (again.queued, again.already) == (0, 2)
    send_mail(app)
    reminders = messages(maildir, "Reminder:")
    assert sorted(str(m["To"]).split("<")[1].rstrip(">") for m in reminders) == [BEN, CAT]
    for message in reminders:
        assert "Wednesday 31 March 2027" in text_of(message)  # when email 1 was sent
        assert "Monday 5 April 2027 at 00:00" in text_of(message)
        assert list(message.iter_attachments()) == []  # no document, no codes

    # Ben confirms with the link in his reminder: it works like the first one.
    ben = next(m for m in reminders if BEN in str(m["To"]))
    token = ACK_LINK.search(text_of(ben))
    assert token is not None
    with app.transaction() as uow:
        result = acknowledge(
            uow, app.mailroom, token.group(1), ip="192.0.2.1", user_agent="test", now=clock.now
        )
    assert result.already is False

    clock.now = FRIDAY_9AM
    friday = send_reminders(
        app, APRIL, FRIDAY, actor="system:scheduler", source="scheduler", now=app.now()
    )
    assert friday.queued == 1
    keys = reminder_keys(app)
    assert len([k for k in keys if k.endswith(":2027-04-01")]) == 2
    assert len([k for k in keys if k.endswith(":2027-04-02")]) == 1
    with app.uow() as uow:
        audited = uow.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "mail:reminder:queue")
        ).all()
        assert len(audited) == 3
        assert all(token.group(1) not in r.details for r in audited)


def test_no_spoc_gets_more_reminders_than_the_limit(
    container: Container, clock: Clock, maildir: Path
) -> None:
    with mail_server(Container(container.settings, clock=clock), maildir, reminder_limit=1) as app:
        load_register(app)
        issued_and_sent(app)
        clock.now = THURSDAY_9AM
        assert (
            send_reminders(app, APRIL, THURSDAY, actor="t", source="t", now=app.now()).queued == 3
        )
        clock.now = FRIDAY_9AM
        friday = send_reminders(app, APRIL, FRIDAY, actor="t", source="t", now=app.now())
        assert (friday.queued, friday.at_limit) == (0, 3)


def test_no_reminder_before_email_1_has_gone_or_on_the_day_it_went(
    app: Container, clock: Clock
) -> None:
    rotate(app.press, APRIL, now=app.now(), actor="test", source="test", workers=1)
    clock.now = THURSDAY_9AM
    report = send_reminders(app, APRIL, THURSDAY, actor="t", source="t", now=app.now())
    assert (report.queued, report.not_sent_yet) == (0, 3)
    send_mail(app)  # email 1 goes on Thursday, late
    report = send_reminders(app, APRIL, THURSDAY, actor="t", source="t", now=app.now())
    assert (report.queued, report.not_sent_yet) == (0, 3)
    clock.now = FRIDAY_9AM
    assert send_reminders(app, APRIL, FRIDAY, actor="t", source="t", now=app.now()).queued == 3


def test_the_escalation_lists_each_provider_nobody_acknowledged_once(
    app: Container, clock: Clock, maildir: Path
) -> None:
    issued_and_sent(app)
    acknowledge_directly(app, ANN, "2027-04", ISSUE)
    clock.now = FRIDAY_9AM
    first = escalate(app, APRIL, actor="system:scheduler", source="scheduler", now=app.now())
    again = escalate(app, APRIL, actor="system:scheduler", source="scheduler", now=app.now())
    assert [p.ref for p in first.providers] == ["PRV002"] and first.queued
    assert again.queued is False
    send_mail(app)
    escalations = messages(maildir, "Escalation:")
    assert len(escalations) == 1
    assert "provider-direct-bmt@example.gov.uk" in str(escalations[0]["To"])
    body = text_of(escalations[0])
    assert "PRV002 Harbourside Skills Ltd" in body and CAT in body
    assert "PRV001" not in body


def test_no_escalation_when_every_provider_has_acknowledged(app: Container, clock: Clock) -> None:
    issued_and_sent(app)
    acknowledge_directly(app, BEN, "2027-04", ISSUE)
    acknowledge_directly(app, CAT, "2027-04", ISSUE)
    clock.now = FRIDAY_9AM
    report = escalate(app, APRIL, actor="t", source="t", now=app.now())
    assert report.providers == [] and report.queued is False
    with app.uow() as uow:
        assert (
            uow.session.scalars(select(outbox.c.id).where(outbox.c.category == "escalation")).all()
            == []
        )
