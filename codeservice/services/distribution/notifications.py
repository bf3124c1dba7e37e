"""Queueing the two emails of a delivery. Each function only builds its context.

Dedupe keys make every queueing idempotent: a step that is killed and rerun never
puts a second copy of the same email in the outbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from codeservice.documents import document_filename
from codeservice.domain.codes import CodeState
from codeservice.domain.tokens import TokenPurpose, issue_token
from codeservice.domain.wording import cycle_label, moment_text
from codeservice.emails import DOCX, Attachment, RenderedEmail, render
from codeservice.errors import Conflict
from codeservice.services.distribution.codes import reveal_unlock_code
from codeservice.services.link_tokens import add_link
from codeservice.services.mail import Mailroom, queue_email
from codeservice.services.report_links import report_link_token, report_url
from codeservice.storage.models import Delivery, LinkToken
from codeservice.storage.uow import UnitOfWork


def _document_tag(delivery_id: int) -> str:
    return f"document:delivery-{delivery_id}:"


def _unlock_key(delivery_id: int) -> str:
    return f"unlock:delivery-{delivery_id}"


def reminder_tag(delivery_id: int) -> str:
    return f"reminder:delivery-{delivery_id}:"


def _refuse_revoked(delivery: Delivery) -> None:
    code = delivery.access_code
    if code.state is CodeState.REVOKED:
        raise Conflict(
            f"{code.document_ref} was revoked by a security reissue: no email of it is sent"
        )


def ack_url(mailroom: Mailroom, token: str) -> str:
    return f"{mailroom.base_url}/ack/{token}"


def ack_token_lifetime(mailroom: Mailroom) -> timedelta:
    return mailroom.ack_lifetime


def new_ack_link(
    uow: UnitOfWork, mailroom: Mailroom, delivery: Delivery, now: datetime
) -> tuple[LinkToken, str]:
    """A fresh acknowledgement link for ``delivery`` (flushed): its row and the token to send.

    Only the token's digest is stored. The link lives ``ack_token_days`` from the later
    of now and the code's first day in force.
    """
    token = issue_token()
    link = add_link(
        uow,
        TokenPurpose.ACKNOWLEDGE,
        digest=token.digest,
        spoc=delivery.spoc,
        delivery=delivery,
        now=now,
        expires_at=max(now, delivery.access_code.active_from) + ack_token_lifetime(mailroom),
    )
    return link, token.token


def queue_document_email(
    uow: UnitOfWork,
    mailroom: Mailroom,
    *,
    delivery: Delivery,
    encrypted_document: bytes,
    now: datetime,
    reissue_reason: str | None = None,
) -> int:
    """Email 1: the encrypted document, the SPoC's own acknowledgement link (a fresh
    one, ``new_ack_link``) and their link to report a potential security incident."""
    link, token = new_ack_link(uow, mailroom, delivery, now)
    _refuse_revoked(delivery)
    code = delivery.access_code
    provider = code.provider
    spoc = delivery.spoc
    report_token = report_link_token(uow, mailroom.keyring, spoc, now)
    rendered = document_email(
        mailroom,
        delivery=delivery,
        link=link,
        token=token,
        report_token=report_token,
        now=now,
        reissue_reason=reissue_reason,
    )
    message_id = queue_email(
        uow,
        mailroom.postbox,
        rendered,
        to_name=spoc.name,
        to_email=spoc.email,
        attachments=[
            Attachment(
                filename=document_filename(provider.ref, str(code.cycle)),
                content=encrypted_document,
                maintype=DOCX[0],
                subtype=DOCX[1],
            )
        ],
        dedupe_key=document_email_key(delivery, link),
        category=DOCUMENT_CATEGORY,
        now=now,
    )
    delivery.document_message_id = message_id
    return message_id


DOCUMENT_CATEGORY = "access-code-document"


def document_email_key(delivery: Delivery, link: LinkToken) -> str:
    return f"{_document_tag(delivery.id)}link-{link.id}"


def document_attachment(provider_ref: str, cycle: str, encrypted_document: bytes) -> Attachment:
    return Attachment(
        filename=document_filename(provider_ref, cycle),
        content=encrypted_document,
        maintype=DOCX[0],
        subtype=DOCX[1],
    )


def document_email(
    mailroom: Mailroom,
    *,
    delivery: Delivery,
    link: LinkToken,
    token: str,
    report_token: str,
    now: datetime,
    reissue_reason: str | None = None,
) -> RenderedEmail:
    """Email 1's text (``queue_document_email`` queues it; the rotation many at once)."""
    code = delivery.access_code
    provider = code.provider
    spoc = delivery.spoc
    tz = mailroom.tz
    return render(
        "access_code_document",
        {
            "spoc_name": spoc.name,
            "provider_name": provider.name,
            "provider_ref": provider.ref,
            "cycle_label": cycle_label(code.cycle),
            "active_from": moment_text(code.active_from, tz),
            "active_until": moment_text(code.active_until, tz),
            "active_now": code.active_from <= now,
            "ack_url": ack_url(mailroom, token),
            "ack_expires": moment_text(link.expires_at, tz),
            "security_mailbox": mailroom.security_mailbox,
            "report_url": report_url(mailroom.base_url, report_token),
            "document_ref": code.document_ref,
            "reissue": reissue_reason is not None,
            "reissue_reason": reissue_reason or "",
        },
    )


def queue_unlock_email(
    uow: UnitOfWork,
    mailroom: Mailroom,
    *,
    delivery: Delivery,
    now: datetime,
    resend_of: int | None = None,
) -> int:
    """Email 2: the unlock code, to this SPoC alone, once per delivery.

    ``resend_of`` is the outbox id of the email 2 a member of staff asked to send
    again: one resend of each earlier email, however often the request comes.
    """
    _refuse_revoked(delivery)
    code = delivery.access_code
    provider = code.provider
    spoc = delivery.spoc
    rendered = render(
        "unlock_code",
        {
            "spoc_name": spoc.name,
            "provider_name": provider.name,
            "provider_ref": provider.ref,
            "cycle_label": cycle_label(code.cycle),
            "document_ref": code.document_ref,
            "unlock_code": reveal_unlock_code(mailroom.keyring, code),
        },
    )
    key = _unlock_key(delivery.id)
    if resend_of is not None:
        key += f":resend-of-{resend_of}"
    message_id = queue_email(
        uow,
        mailroom.postbox,
        rendered,
        to_name=spoc.name,
        to_email=spoc.email,
        dedupe_key=key,
        category="unlock-code",
        now=now,
    )
    delivery.unlock_message_id = message_id
    return message_id


REVOKED_REASON = "its access code was revoked by a security reissue"


def _delivery_mail(deliveries: list[Delivery]) -> dict[str, list[Any]]:
    """Every email of these deliveries: email 1 (and its resends), email 2, reminders."""
    return {
        "ids": [i for d in deliveries for i in (d.document_message_id, d.unlock_message_id) if i],
        "dedupe_keys": [_unlock_key(d.id) for d in deliveries],
        "key_prefixes": [
            tag
            for d in deliveries
            for tag in (_document_tag(d.id), f"{_unlock_key(d.id)}:", reminder_tag(d.id))
        ],
    }


def cancel_mail_of_codes(uow: UnitOfWork, code_ids: list[int], *, now: datetime) -> dict[str, int]:
    """Cancel every unsent email of these (revoked) codes; how many, by category."""
    deliveries = uow.deliveries.for_codes(code_ids)
    if not deliveries:
        return {}
    cancelled = uow.outbox.cancel(**_delivery_mail(deliveries), reason=REVOKED_REASON, now=now)
    counts: dict[str, int] = {}
    for entry in cancelled:
        counts[entry.category] = counts.get(entry.category, 0) + 1
    return counts


def cancelled_mail_of_codes(uow: UnitOfWork, code_ids: list[int]) -> int:
    """How many emails of these codes stand cancelled (for a reissue reported again)."""
    deliveries = uow.deliveries.for_codes(code_ids)
    if not deliveries:
        return 0
    return uow.outbox.count_cancelled(**_delivery_mail(deliveries))
