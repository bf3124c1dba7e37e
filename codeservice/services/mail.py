"""Queueing one email: composed for one recipient from the service's address, sealed
and put in the outbox once per dedupe key (queueing it again returns the same id) —
or many at once (``queue_emails``), as the rotation's writer does.

A use case that sends mail takes a ``Postbox`` (the address and the sealer), or a
``Mailroom`` when it also writes links, dates and mailboxes into its emails; the
composition root builds both once (``container.postbox``, ``container.mailroom``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from codeservice.config import Settings
from codeservice.crypto.keyring import Keyring
from codeservice.emails import Attachment, EncodedAttachment, RenderedEmail, compose
from codeservice.storage.uow import UnitOfWork
from mailer.outbox_many import Queued
from mailer.sealer import Sealer


@dataclass(frozen=True)
class Postbox:
    """Where the service's email leaves from: its address, and what seals each body
    at rest in the outbox."""

    sender: str
    sealer: Sealer


@dataclass(frozen=True)
class Mailroom:
    """What a use case that emails SPoCs, the BMT or the security team needs besides
    its unit of work: the postbox, the keyring (audit records, unlock codes, link
    tokens) and the settings its emails are written with."""

    postbox: Postbox
    keyring: Keyring
    base_url: str
    tz: ZoneInfo
    bmt_mailbox: str
    security_mailbox: str
    ack_lifetime: timedelta

    @classmethod
    def of(cls, settings: Settings, keyring: Keyring, postbox: Postbox) -> Mailroom:
        return cls(
            postbox=postbox,
            keyring=keyring,
            base_url=settings.base_url,
            tz=settings.tz,
            bmt_mailbox=settings.bmt_mailbox,
            security_mailbox=settings.security_mailbox,
            ack_lifetime=timedelta(days=settings.ack_token_days),
        )


def queue_email(
    uow: UnitOfWork,
    postbox: Postbox,
    email: RenderedEmail,
    *,
    to_name: str,
    to_email: str,
    dedupe_key: str,
    category: str,
    now: datetime,
    attachments: list[Attachment] | None = None,
) -> int:
    """The outbox id of the email, in the caller's transaction."""
    message = compose(
        email,
        sender=postbox.sender,
        to_name=to_name,
        to_email=to_email,
        attachments=attachments,
    )
    return uow.outbox.enqueue(
        message, dedupe_key=dedupe_key, category=category, now=now, sealer=postbox.sealer
    )


BMT_NAME = "Provider Direct BMT"


def queue_for_bmt(
    uow: UnitOfWork,
    mailroom: Mailroom,
    email: RenderedEmail,
    *,
    dedupe_key: str,
    category: str,
    now: datetime,
) -> int:
    """``queue_email`` to the Business Management Team's mailbox."""
    return queue_email(
        uow,
        mailroom.postbox,
        email,
        to_name=BMT_NAME,
        to_email=mailroom.bmt_mailbox,
        dedupe_key=dedupe_key,
        category=category,
        now=now,
    )


@dataclass(frozen=True)
class EmailToQueue:
    """One email of ``queue_emails``. ``attachments`` are encoded once by the caller
    (``encode_attachment``) and may be shared by several emails."""

    email: RenderedEmail
    to_name: str
    to_email: str
    dedupe_key: str
    category: str
    attachments: list[EncodedAttachment] = field(default_factory=list)


def queue_emails(
    uow: UnitOfWork, postbox: Postbox, emails: list[EmailToQueue], *, now: datetime
) -> list[int]:
    """``queue_email`` for many at once (one INSERT): the outbox ids, in order."""
    queued = [
        Queued(
            compose(
                item.email,
                sender=postbox.sender,
                to_name=item.to_name,
                to_email=item.to_email,
                encoded=item.attachments,
            ),
            item.dedupe_key,
            item.category,
        )
        for item in emails
    ]
    return uow.outbox.enqueue_many(queued, now=now, sealer=postbox.sealer)
