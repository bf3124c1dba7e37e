"""Queueing one email: composed for one recipient from the service's address, sealed
and put in the outbox once per dedupe key (queueing it again returns the same id) —
or many at once (``queue_emails``), as the rotation's writer does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from codeservice.bootstrap import Container
from codeservice.emails import Attachment, EncodedAttachment, RenderedEmail, compose
from codeservice.storage.uow import UnitOfWork
from mailer.outbox_many import Queued


def queue_email(
    uow: UnitOfWork,
    container: Container,
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
        sender=container.settings.mail_from,
        to_name=to_name,
        to_email=to_email,
        attachments=attachments,
    )
    return uow.outbox.enqueue(
        message, dedupe_key=dedupe_key, category=category, now=now, sealer=container.keyring
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
    uow: UnitOfWork, container: Container, emails: list[EmailToQueue], *, now: datetime
) -> list[int]:
    """``queue_email`` for many at once (one INSERT): the outbox ids, in order."""
    queued = [
        Queued(
            compose(
                item.email,
                sender=container.settings.mail_from,
                to_name=item.to_name,
                to_email=item.to_email,
                encoded=item.attachments,
            ),
            item.dedupe_key,
            item.category,
        )
        for item in emails
    ]
    return uow.outbox.enqueue_many(queued, now=now, sealer=container.keyring)
