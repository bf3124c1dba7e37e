"""Queueing one email: composed for one recipient from the service's address, sealed
and put in the outbox once per dedupe key (queueing it again returns the same id)."""

from __future__ import annotations

from datetime import datetime

from codeservice.bootstrap import Container
from codeservice.emails import Attachment, RenderedEmail, compose
from codeservice.storage.uow import UnitOfWork


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
