"""Telling every SPoC at once (§56): preview a notice, send it, watch its delivery.

The preview renders the email exactly as it will go and makes the notice's id (its
key). Sending is one transaction: the notice, one outbox email per active SPoC of an
active prime provider, and an audit record of the counts. The key is unique, so the
same confirmation sent twice (a double click, a second tab) sends once: the second
finds the notice the first made.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.domain.notices import NoticeDraft, check_notice, check_notice_key
from codeservice.emails import RenderedEmail, render
from codeservice.errors import Conflict, NotFound
from codeservice.services.mail import Postbox, queue_email
from codeservice.services.operations import audit
from codeservice.services.staff.actors import actor_names
from codeservice.storage.errors import ConstraintViolation
from codeservice.storage.models import Notice, NoticeRecipient
from codeservice.storage.uow import UnitOfWork
from mailer.schema import FAILED, QUEUED, SENDING, SENT

CATEGORY = "notice"
STATUSES = ("Queued", "Failing", "Sent", "Failed", "Cancelled")  # the order pages count them
NO_AUDIENCE = "No active SPoC is on the register: there is nobody to tell"


@dataclass(frozen=True)
class NoticePreview:
    key: str
    draft: NoticeDraft
    email: RenderedEmail
    audience: int


@dataclass(frozen=True)
class SentNotice:
    notice_id: int
    queued: int
    new: bool  # False: this key had been sent already, nothing more was queued


@dataclass(frozen=True)
class NoticeSummary:
    notice_id: int
    subject: str
    sent_by: str  # as people know them
    created_at: datetime
    recipients: int


@dataclass(frozen=True)
class RecipientView:
    provider_ref: str
    provider_name: str
    spoc_name: str
    spoc_email: str
    status: str  # Queued, Sent, Failing (a retry is due), Failed, Cancelled
    detail: str


@dataclass(frozen=True)
class NoticeDelivery:
    summary: NoticeSummary
    email: RenderedEmail
    recipients: list[RecipientView]
    counts: dict[str, int] = field(default_factory=dict)


def notice_email(draft: NoticeDraft) -> RenderedEmail:
    return render("notice", {"subject": draft.subject, "text": draft.text})


def preview_notice(uow: UnitOfWork, *, subject: str, text: str) -> NoticePreview:
    """The email as it will go and how many SPoCs it goes to; ``InvalidNotice`` if bad.
    Reads only (the caller opens a read unit of work)."""
    draft = check_notice(subject=subject, text=text)
    audience = uow.notices.audience_size()
    return NoticePreview(secrets.token_hex(16), draft, notice_email(draft), audience)


def send_notice(
    uow: UnitOfWork,
    postbox: Postbox,
    keyring: Keyring,
    *,
    key: str,
    subject: str,
    text: str,
    actor: str,
    source: str,
    now: datetime,
) -> SentNotice:
    """Queue the notice to every active SPoC, once per key, in the caller's transaction
    (the caller commits); ``Conflict`` when nobody."""
    check_notice_key(key)
    draft = check_notice(subject=subject, text=text)
    email = notice_email(draft)
    if (done := uow.notices.by_key(key)) is not None:
        return SentNotice(done.id, 0, new=False)
    spocs = uow.notices.audience()
    if not spocs:
        raise Conflict(NO_AUDIENCE)
    notice = Notice(key=key, subject=draft.subject, text=draft.text, sent_by=actor, created_at=now)
    try:
        with uow.savepoint():
            uow.notices.add(notice)
    except ConstraintViolation:  # the same key confirmed at the same moment elsewhere
        done = uow.notices.by_key(key)
        if done is None:
            raise
        return SentNotice(done.id, 0, new=False)
    for spoc in spocs:
        message_id = queue_email(
            uow,
            postbox,
            email,
            to_name=spoc.name,
            to_email=spoc.email,
            dedupe_key=f"notice:{key}:spoc-{spoc.id}",
            category=CATEGORY,
            now=now,
        )
        uow.notices.add_recipient(
            NoticeRecipient(notice_id=notice.id, spoc_id=spoc.id, message_id=message_id)
        )
    audit.event(
        uow,
        keyring,
        AuditTag.MAIL_NOTICE_QUEUE,
        actor=actor,
        source=source,
        now=now,
        notice_id=notice.id,
        spocs=len(spocs),
        providers=len({spoc.provider_id for spoc in spocs}),
    )
    return SentNotice(notice.id, len(spocs), new=True)


def past_notices(uow: UnitOfWork) -> list[NoticeSummary]:
    """Reads only (the caller opens a read unit of work)."""
    found = uow.notices.recent()
    names = actor_names(uow, (notice.sent_by for notice, _ in found))
    return [_summary(notice, count, names) for notice, count in found]


def notice_delivery(uow: UnitOfWork, notice_id: int) -> NoticeDelivery:
    """A notice, its email, and where each SPoC's copy stands; reads only."""
    notice = uow.notices.get(notice_id)
    if notice is None:
        raise NotFound("There is no such notice")
    rows = uow.notices.mail_of(notice_id)
    recipients = [
        RecipientView(
            provider_ref=row.recipient.spoc.provider.ref,
            provider_name=row.recipient.spoc.provider.name,
            spoc_name=row.recipient.spoc.name,
            spoc_email=row.recipient.spoc.email,
            status=_status(row.state, row.last_error),
            detail=_detail(row.state, row.attempts, row.last_error),
        )
        for row in rows
    ]
    summary = _summary(notice, len(rows), actor_names(uow, [notice.sent_by]))
    email = notice_email(NoticeDraft(notice.subject, notice.text))
    found = Counter(r.status for r in recipients)
    counts = {status: found[status] for status in STATUSES if found[status]}
    return NoticeDelivery(summary, email, recipients, counts)


def _summary(notice: Notice, count: int, names: dict[str, str]) -> NoticeSummary:
    sent_by = names.get(notice.sent_by, notice.sent_by)
    return NoticeSummary(notice.id, notice.subject, sent_by, notice.created_at, count)


def _status(state: str, last_error: str | None) -> str:
    if state == SENT:
        return "Sent"
    if state == FAILED:
        return "Failed"
    if state in (QUEUED, SENDING):
        return "Failing" if last_error else "Queued"
    return "Cancelled"


def _detail(state: str, attempts: int, last_error: str | None) -> str:
    if state == SENT or not last_error:
        return ""
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    return f"{last_error} ({tries}; trying again)" if state != FAILED else last_error
