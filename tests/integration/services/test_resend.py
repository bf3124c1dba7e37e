"""Sending a SPoC's email 1 or email 2 again: once per confirmation, new link, same code."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import timedelta
from types import EllipsisType

import pytest
from docx import Document

from codeservice.bootstrap import Container
from codeservice.documents import decrypt_document, read_access_code
from codeservice.errors import Conflict
from codeservice.services.distribution.acknowledgement import (
    LinkReplaced,
    acknowledge,
    load_acknowledgement,
)
from codeservice.services.distribution.codes import reveal_access_code, reveal_unlock_code
from codeservice.services.distribution.resend import (
    ResendOutcome,
    resend_document,
    resend_target,
    resend_unlock,
)
from codeservice.storage.models import AuditRecord, Delivery, Spoc
from tests.integration.web.links import change, outbox_rows
from tests.integration.web.staff import audit_actions
from tests.support.clock import Clock
from tests.support.dashboard import (
    APRIL,
    ISSUE_DAY,
    Mailbox,
    acknowledge_as,
    import_example_register,
    issue,
    work_outbox,
)
from tests.support.reading import board_of, read
from tests.support.reissue import reissue_provider

PRIYA = "priya.raman@example.org"
ACTOR = "user:ann.lee"


@pytest.fixture
def clock() -> Clock:
    return Clock(ISSUE_DAY)


@pytest.fixture
def month(container: Container, clock: Clock) -> Iterator[Container]:
    built = Container(container.settings, clock=clock)
    import_example_register(built)
    issue(built)
    yield built
    built.close()


@pytest.fixture
def mailbox(month: Container, clock: Clock) -> Mailbox:
    delivered = Mailbox()
    work_outbox(month, delivered)
    clock.now += timedelta(days=1)
    return delivered


def _delivery_id(month: Container, email: str) -> int:
    board = board_of(month, APRIL)
    return next(
        s.delivery_id for p in board.providers if p.standing for s in p.spocs if s.email == email
    )


def _emails_to(month: Container, email: str, category: str) -> int:
    return sum(1 for _, to, kind in outbox_rows(month) if to == email and kind == category)


def _resend_document(
    month: Container,
    delivery_id: int,
    *,
    seen: int | None | EllipsisType = ...,
    source: str = "192.0.2.1",
) -> ResendOutcome:
    """Confirm a resend, as seen now (the resend page's message) unless ``seen`` is given."""
    if seen is ...:
        seen = read(month, resend_target, delivery_id, now=month.now()).document_message_id
    return resend_document(
        month.read_uow,
        month.uow,
        month.mailroom,
        delivery_id,
        seen=seen,
        actor=ACTOR,
        source=source,
        now=month.now(),
    )


def _resend_unlock(month: Container, delivery_id: int, seen: int | None) -> ResendOutcome:
    now = month.now()
    with month.transaction() as uow:
        return resend_unlock(
            uow, month.mailroom, delivery_id, seen=seen, actor=ACTOR, source="test", now=now
        )


def _secrets(month: Container, delivery_id: int) -> tuple[str, str]:
    """The delivery's access code and unlock code."""
    with month.uow() as uow:
        delivery = uow.session.get(Delivery, delivery_id)
        assert delivery is not None
        code = delivery.access_code
        return reveal_access_code(month.keyring, code), reveal_unlock_code(month.keyring, code)


def test_email_1_again_has_the_same_document_and_a_new_link(
    month: Container, mailbox: Mailbox
) -> None:
    delivery_id = _delivery_id(month, PRIYA)
    first_token = mailbox.ack_tokens[PRIYA]

    outcome = _resend_document(month, delivery_id)
    work_outbox(month, mailbox)

    assert outcome.sent and outcome.spoc_email == PRIYA
    assert _emails_to(month, PRIYA, "access-code-document") == 2
    assert mailbox.ack_tokens[PRIYA] != first_token
    access_code, unlock_code = _secrets(month, delivery_id)
    plain = decrypt_document(mailbox.documents[PRIYA], unlock_code)
    assert read_access_code(plain) == access_code
    with pytest.raises(LinkReplaced) as replaced:
        read(month, load_acknowledgement, first_token, now=month.now())
    assert replaced.value.replaced_reason == "resent"
    assert (
        read(month, load_acknowledgement, mailbox.ack_tokens[PRIYA], now=month.now()).spoc_email
        == PRIYA
    )


def test_a_resend_is_audited_without_any_secret(month: Container, mailbox: Mailbox) -> None:
    delivery_id = _delivery_id(month, PRIYA)
    _resend_document(month, delivery_id)
    access_code, unlock_code = _secrets(month, delivery_id)

    ((action, actor, details),) = audit_actions(month, "mail:document:resend")
    assert (action, actor) == ("mail:document:resend", ACTOR)
    assert details["provider"] == "PRV001" and details["delivery_id"] == delivery_id
    assert details["links_replaced"] == 1
    with month.uow() as uow:
        text = " ".join(r.details for r in uow.session.query(AuditRecord))
    assert access_code not in text
    assert unlock_code not in text
    assert mailbox.ack_tokens[PRIYA] not in text


def test_the_same_confirmation_sent_twice_sends_once(month: Container, mailbox: Mailbox) -> None:
    delivery_id = _delivery_id(month, PRIYA)
    seen = read(month, resend_target, delivery_id, now=month.now()).document_message_id

    first = _resend_document(month, delivery_id, seen=seen, source="test")
    second = _resend_document(month, delivery_id, seen=seen, source="test")

    assert first.sent and not second.sent
    assert second.message_id == first.message_id
    assert _emails_to(month, PRIYA, "access-code-document") == 2
    assert len(audit_actions(month, "mail:document:resend")) == 1


def test_two_confirmations_at_the_same_moment_send_once(month: Container, mailbox: Mailbox) -> None:
    delivery_id = _delivery_id(month, PRIYA)
    seen = read(month, resend_target, delivery_id, now=month.now()).document_message_id
    start = threading.Barrier(2)
    outcomes: list[ResendOutcome] = []

    def click() -> None:
        start.wait()
        outcomes.append(_resend_document(month, delivery_id, seen=seen, source="test"))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=60)

    assert sorted(o.sent for o in outcomes) == [False, True]
    assert _emails_to(month, PRIYA, "access-code-document") == 2


def test_a_new_link_after_acknowledging_finds_it_already_done(
    month: Container, mailbox: Mailbox
) -> None:
    acknowledge_as(month, mailbox, PRIYA)
    _resend_document(month, _delivery_id(month, PRIYA))
    work_outbox(month, mailbox)

    with month.transaction() as uow:
        again = acknowledge(
            uow,
            month.mailroom,
            mailbox.ack_tokens[PRIYA],
            ip="192.0.2.10",
            user_agent="t",
            now=month.now(),
        )

    assert again.already
    assert _emails_to(month, PRIYA, "unlock-code") == 1


def test_the_unlock_code_goes_again_only_after_acknowledgement(
    month: Container, mailbox: Mailbox
) -> None:
    delivery_id = _delivery_id(month, PRIYA)
    with pytest.raises(Conflict, match="has not acknowledged"), month.transaction() as uow:
        resend_unlock(
            uow, month.mailroom, delivery_id, seen=None, actor=ACTOR, source="test", now=month.now()
        )

    acknowledge_as(month, mailbox, PRIYA)
    work_outbox(month, mailbox)
    seen = read(month, resend_target, delivery_id, now=month.now()).unlock_message_id
    first, second = (_resend_unlock(month, delivery_id, seen) for _ in range(2))
    work_outbox(month, mailbox)

    assert first.sent and not second.sent
    _, unlock = _secrets(month, delivery_id)
    assert len(mailbox.unlock_emails[PRIYA]) == 2
    assert all(unlock in text for text in mailbox.unlock_emails[PRIYA])
    ((_, actor, details),) = audit_actions(month, "mail:unlock:resend")
    assert actor == ACTOR and details["resend_of"] == seen


def test_nothing_is_resent_for_a_revoked_code(
    month: Container, mailbox: Mailbox, clock: Clock
) -> None:
    old = _delivery_id(month, PRIYA)
    reissue_provider(month, "PRV001", reason="A test precaution.", actor="test", source="test")

    target = read(month, resend_target, old, now=month.now())

    assert target.document_refusal is not None and "security reissue" in target.document_refusal
    with pytest.raises(Conflict, match="security reissue"):
        _resend_document(month, old)


def test_a_resent_replacement_still_says_it_is_a_reissue(
    month: Container, mailbox: Mailbox
) -> None:

    reissue_provider(month, "PRV001", reason="A test precaution.", actor="test", source="test")
    work_outbox(month, mailbox)
    new = _delivery_id(month, PRIYA)

    _resend_document(month, new)
    work_outbox(month, mailbox)

    plain = decrypt_document(mailbox.documents[PRIYA], _secrets(month, new)[1])
    text = "\n".join(p.text for p in Document(io.BytesIO(plain)).paragraphs)
    assert "This is a reissued code" in text


def test_nothing_is_resent_to_a_spoc_taken_off_the_register(
    month: Container, mailbox: Mailbox
) -> None:
    delivery_id = _delivery_id(month, PRIYA)
    with month.uow() as uow:
        delivery = uow.session.get(Delivery, delivery_id)
        assert delivery is not None
        spoc_id = delivery.spoc_id
    change(month, Spoc, spoc_id, active=False)

    with pytest.raises(Conflict, match="no longer an active SPoC"):
        _resend_document(month, delivery_id)
    assert _emails_to(month, PRIYA, "access-code-document") == 1
