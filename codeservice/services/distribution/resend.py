"""Sending a SPoC's email 1 or email 2 again, when the BMT is asked to.

Email 1 again: a new acknowledgement link (every earlier link of that delivery dies,
marked "resent") and the same document — rebuilt from the sealed code and unlock
code, so it opens with the unlock code the SPoC may already have. Email 2 again: only
after the SPoC acknowledged.

Each resend is conditional on what the confirmation page showed (``seen``: the
outbox id of the email being sent again). The same form sent twice — a double
click, a reload — finds that email already replaced and sends nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from codeservice.domain.audit import AuditTag
from codeservice.domain.codes import STANDING, CodeState
from codeservice.domain.tokens import TokenPurpose
from codeservice.errors import Conflict, NotFound
from codeservice.services.distribution.codes import reveal_unlock_code
from codeservice.services.distribution.document_work import DocumentJob, make_document
from codeservice.services.distribution.issuing import rebuilt_content
from codeservice.services.distribution.notifications import (
    queue_document_email,
    queue_unlock_email,
)
from codeservice.services.mail import Mailroom
from codeservice.services.operations import audit
from codeservice.storage.models import Delivery
from codeservice.storage.uow import UnitOfWork
from mailer.schema import MessageState

RESENT = "resent"


@dataclass(frozen=True)
class ResendTarget:
    """One delivery as the confirmation pages show it."""

    delivery_id: int
    cycle: str
    provider_ref: str
    provider_name: str
    spoc_name: str
    spoc_email: str
    document_ref: str
    code_state: CodeState
    document_message_id: int | None
    document_state: MessageState | None
    document_sent_at: datetime | None
    acknowledged_at: datetime | None
    unlock_message_id: int | None
    unlock_state: MessageState | None
    unlock_sent_at: datetime | None
    document_refusal: str | None  # why email 1 cannot be sent again; None: it can
    unlock_refusal: str | None


@dataclass(frozen=True)
class ResendOutcome:
    sent: bool  # False: the email shown had already been sent again; nothing was sent
    delivery_id: int
    spoc_email: str
    message_id: int | None  # the email now current for this delivery


def resend_target(uow: UnitOfWork, delivery_id: int, *, now: datetime) -> ResendTarget:
    """What the resend page shows; reads only (the caller opens a read unit of work)."""
    delivery = _delivery(uow, delivery_id)
    code = delivery.access_code
    ids = [i for i in (delivery.document_message_id, delivery.unlock_message_id) if i]
    messages = {entry.id: entry for entry in uow.outbox.by_ids(ids)}
    document = messages.get(delivery.document_message_id or -1)
    unlock = messages.get(delivery.unlock_message_id or -1)
    return ResendTarget(
        delivery_id=delivery.id,
        cycle=str(code.cycle),
        provider_ref=code.provider.ref,
        provider_name=code.provider.name,
        spoc_name=delivery.spoc.name,
        spoc_email=delivery.spoc.email,
        document_ref=code.document_ref,
        code_state=code.state,
        document_message_id=delivery.document_message_id,
        document_state=None if document is None else document.state,
        document_sent_at=None if document is None else document.sent_at,
        acknowledged_at=delivery.acknowledged_at,
        unlock_message_id=delivery.unlock_message_id,
        unlock_state=None if unlock is None else unlock.state,
        unlock_sent_at=None if unlock is None else unlock.sent_at,
        document_refusal=_refusal(delivery, now),
        unlock_refusal=_refusal(delivery, now, unlock=True),
    )


def resend_document(
    reading: Callable[[], UnitOfWork],
    writing: Callable[[], UnitOfWork],
    mailroom: Mailroom,
    delivery_id: int,
    *,
    seen: int | None,
    actor: str,
    source: str,
    now: datetime,
) -> ResendOutcome:
    """Email 1 again with a new link, unless the email 1 ``seen`` was already replaced.

    Two units of work (``container.read_uow``, ``container.uow``): the document is
    built between them, so no transaction waits on it; the second commits."""
    with reading() as uow:  # what to build: the document is made outside
        delivery = _delivery(uow, delivery_id)
        _refuse(delivery, now)
        if delivery.document_message_id != seen:
            return _already(delivery, delivery.document_message_id)
        content = rebuilt_content(uow, mailroom.keyring, delivery.access_code)
        unlock_code = reveal_unlock_code(mailroom.keyring, delivery.access_code)
    # Building and encrypting take a tenth of a second: outside the transaction.
    document = make_document(DocumentJob(content=content, unlock_code=unlock_code)).data

    with writing() as uow:
        delivery = _delivery(uow, delivery_id, lock=True)
        _refuse(delivery, now)
        if delivery.document_message_id != seen:
            return _already(delivery, delivery.document_message_id)
        replaced = _replace_links(uow, delivery.id, now)
        message_id = queue_document_email(
            uow,
            mailroom,
            delivery=delivery,
            encrypted_document=document,
            now=now,
            reissue_reason=content.reissue_reason,
        )
        audit.event(
            uow,
            mailroom.keyring,
            AuditTag.MAIL_DOCUMENT_RESEND,
            actor=actor,
            source=source,
            now=now,
            **_about(delivery),
            links_replaced=replaced,
            resend_of=seen,
            message_id=message_id,
        )
        outcome = ResendOutcome(True, delivery.id, delivery.spoc.email, message_id)
        uow.commit()
    return outcome


def resend_unlock(
    uow: UnitOfWork,
    mailroom: Mailroom,
    delivery_id: int,
    *,
    seen: int | None,
    actor: str,
    source: str,
    now: datetime,
) -> ResendOutcome:
    """Email 2 again to a SPoC who acknowledged, unless the email 2 ``seen`` was
    replaced; in the caller's transaction (the caller commits)."""
    delivery = _delivery(uow, delivery_id, lock=True)
    _refuse(delivery, now, unlock=True)
    if seen is None or delivery.unlock_message_id != seen:
        return _already(delivery, delivery.unlock_message_id)
    message_id = queue_unlock_email(uow, mailroom, delivery=delivery, now=now, resend_of=seen)
    audit.event(
        uow,
        mailroom.keyring,
        AuditTag.MAIL_UNLOCK_RESEND,
        actor=actor,
        source=source,
        now=now,
        **_about(delivery),
        resend_of=seen,
        message_id=message_id,
    )
    return ResendOutcome(True, delivery.id, delivery.spoc.email, message_id)


# --- helpers ------------------------------------------------------------------------


def _delivery(uow: UnitOfWork, delivery_id: int, *, lock: bool = False) -> Delivery:
    # lock — PostgreSQL: a second resend of this delivery waits here, then sees the first.
    delivery = uow.deliveries.get_loaded(delivery_id, lock=lock)
    if delivery is None:
        raise NotFound("There is no such delivery: it may be from another cycle")
    if lock:
        # The provider's lock, as a reissue takes it: a reissue commits either before
        # (the code is seen revoked and the resend refused) or after (and cancels it).
        uow.register.lock_provider(delivery.access_code.provider_id)
        uow.refresh(delivery.access_code)
    return delivery


def _refusal(delivery: Delivery, now: datetime, *, unlock: bool = False) -> str | None:
    code = delivery.access_code
    if code.state is CodeState.REVOKED:
        return (
            "This code was replaced by a security reissue: the new code was sent to every "
            "SPoC with new links"
        )
    if code.state not in STANDING or code.active_until <= now:
        return "This cycle has ended: its code is no longer used"
    if not code.provider.active:
        return f"{code.provider.name} is no longer an active provider on the register"
    if not delivery.spoc.active:
        return f"{delivery.spoc.name} is no longer an active SPoC on the register"
    if unlock and delivery.acknowledged_at is None:
        return (
            f"{delivery.spoc.name} has not acknowledged receipt yet: the unlock code is only "
            "sent after they do"
        )
    return None


def _refuse(delivery: Delivery, now: datetime, *, unlock: bool = False) -> None:
    refusal = _refusal(delivery, now, unlock=unlock)
    if refusal is not None:
        raise Conflict(refusal)


def _already(delivery: Delivery, current: int | None) -> ResendOutcome:
    return ResendOutcome(False, delivery.id, delivery.spoc.email, current)


def _replace_links(uow: UnitOfWork, delivery_id: int, now: datetime) -> int:
    return uow.deliveries.replace_links(
        delivery_id, purpose=TokenPurpose.ACKNOWLEDGE, reason=RESENT, now=now
    )


def _about(delivery: Delivery) -> dict[str, object]:
    code = delivery.access_code
    return {
        "provider": code.provider.ref,
        "cycle": str(code.cycle),
        "document_ref": code.document_ref,
        "delivery_id": delivery.id,
        "spoc_id": delivery.spoc_id,
    }
