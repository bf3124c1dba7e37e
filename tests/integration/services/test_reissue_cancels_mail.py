"""A reissue stops every unsent email of the revoked code: email 1, email 2, reminders.

Real parts: the database (SQLite and PostgreSQL), an aiosmtpd server receiving what the
mail dispatcher sends, the CLI.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest

from codeservice.bootstrap import Container
from codeservice.services.distribution.acknowledgement import acknowledge
from codeservice.services.distribution.mail_events import audit_mail_outcomes
from mailer import dispatcher
from mailer.capture import smtp_server
from tests.conftest import Cli
from tests.integration.mailer.support import Recorder, config_for
from tests.integration.services.test_reissue import APRIL, BETWEEN, World, make_world
from tests.support.mail_jobs import send_reminders
from tests.support.reissue import reissue_provider

ACTOR = "cli:security.officer"
ANN, BOB, CAT = "ann.lee@example.org", "bob.roe@example.org", "cat@example.com"


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    made, built = make_world(container, datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    yield made
    built.close()


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, int]]:
    received = Recorder()
    with smtp_server(received) as server:
        yield received, server.port


def dispatch(world: World, port: int) -> dispatcher.DispatchSummary:
    app = world.container
    return asyncio.run(
        dispatcher.run(
            app.session_factory,
            config_for(port),
            app.keyring,
            once=True,
            clock=app.now,
            on_outcomes=audit_mail_outcomes(app.keyring),
        )
    )


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def received_by(recorder: Recorder, address: str) -> list[EmailMessage]:
    return [r.message for r in recorder.received if r.rcpt_tos == [address]]


def test_a_reissue_before_sending_means_the_spocs_get_only_the_new_document(
    world: World, recorder: tuple[Recorder, int]
) -> None:
    received, port = recorder
    world.issue(APRIL)  # email 1 queued for Ann, Bob (PRV001) and Cat (PRV002), none sent
    [old] = world.codes()
    world.clock.now = BETWEEN

    report = reissue_provider(
        world.container, "PRV001", reason="Precaution", actor=ACTOR, source="cli"
    )
    dispatch(world, port)

    [new] = [c for c in world.codes() if c.state != "revoked"]
    for spoc in (ANN, BOB):
        [document] = received_by(received, spoc)
        assert new.document_ref in text_of(document)
        assert old.document_ref not in text_of(document)
    assert len(received_by(received, CAT)) == 1  # another provider's email is untouched
    assert report.emails_cancelled == 2
    [cancel] = world.audit("mail:message:cancel")
    assert cancel["cancelled"] == 2
    assert cancel["by_category"] == {"access-code-document": 2}
    assert cancel["revoked"] == [old.document_ref]
    [reissue] = world.audit("code:access:reissue")
    assert reissue["emails_cancelled"] == 2
    states = {e.state for e in world.emails() if e.id in _old_message_ids(world, old.id)}
    assert states == {"cancelled"}


def test_a_reissue_cancels_an_unsent_unlock_email_and_reminders_of_the_old_code(
    world: World, recorder: tuple[Recorder, int]
) -> None:
    received, port = recorder
    world.issue(APRIL)
    dispatch(world, port)  # email 1 goes to all three on Wednesday
    [to_ann] = received_by(received, ANN)
    token = re.search(r"/ack/(\S+)", text_of(to_ann))
    assert token is not None
    world.clock.now = BETWEEN  # Thursday: Ann acknowledges, Bob is reminded
    with world.container.transaction() as uow:
        acknowledge(
            uow,
            world.container.mailroom,
            token.group(1),
            ip="192.0.2.1",
            user_agent="t",
            now=BETWEEN,
        )
    reminded = send_reminders(
        world.container, APRIL, date(2027, 4, 1), actor="t", source="t", now=world.container.now()
    )
    assert reminded.queued == 2  # Bob, and Cat of PRV002
    received.received.clear()

    report = reissue_provider(
        world.container, "PRV001", reason="Precaution", actor=ACTOR, source="cli"
    )
    world.clock.now = BETWEEN + timedelta(minutes=1)
    dispatch(world, port)

    for spoc in (ANN, BOB):  # each gets only the replacement document
        [document] = received_by(received, spoc)
        assert "REPLACEMENT" in text_of(document)
    assert len(received_by(received, CAT)) == 1  # Cat's reminder still goes
    assert report.emails_cancelled == 2  # Ann's unlock code and Bob's reminder
    [cancel] = world.audit("mail:message:cancel")
    assert cancel["by_category"] == {"unlock-code": 1, "reminder": 1}


def test_later_jobs_queue_nothing_more_for_the_revoked_code(
    world: World, recorder: tuple[Recorder, int]
) -> None:
    received, port = recorder
    world.issue(APRIL)
    dispatch(world, port)
    world.clock.now = BETWEEN
    reissue_provider(world.container, "PRV001", reason="Precaution", actor=ACTOR, source="cli")
    received.received.clear()

    reminded = send_reminders(
        world.container, APRIL, date(2027, 4, 1), actor="t", source="t", now=world.container.now()
    )

    assert reminded.queued == 1  # only Cat: the new PRV001 document has not gone yet
    dispatch(world, port)
    assert sorted(r.rcpt_tos[0] for r in received.received) == [ANN, BOB, CAT]


def test_the_cli_says_how_many_unsent_emails_the_reissue_cancelled(world: World, cli: Cli) -> None:
    world.issue(APRIL)

    result = cli("reissue", "PRV001", "--reason", "Precaution")

    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "2 unsent emails of the revoked code were cancelled" in output


def _old_message_ids(world: World, code_id: int) -> set[int]:
    from codeservice.storage.models import Delivery

    with world.container.uow() as uow:
        return {
            d.document_message_id
            for d in uow.session.query(Delivery).filter(Delivery.access_code_id == code_id)
            if d.document_message_id is not None
        }
