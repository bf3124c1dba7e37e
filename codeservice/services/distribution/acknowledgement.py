"""A SPoC acknowledges receipt of the access code document (§45).

Loading a link changes nothing: mail scanners follow links. Only ``acknowledge`` —
a deliberate POST — records the acknowledgement, and in the same transaction writes
the audit record and queues email 2 (the unlock code) to that SPoC alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from codeservice.domain.audit import AuditTag
from codeservice.domain.codes import CodeState
from codeservice.domain.tokens import TokenPurpose
from codeservice.domain.wording import cycle_label
from codeservice.services.distribution.notifications import queue_unlock_email
from codeservice.services.link_tokens import (
    LinkExpired,
    LinkNotFound,
    LinkProblem,
    LinkReplaced,
    find_link,
    record_rejection,
)
from codeservice.services.mail import Mailroom
from codeservice.services.operations import audit
from codeservice.storage.models import Delivery, LinkToken
from codeservice.storage.uow import UnitOfWork

MAX_USER_AGENT = 512
MAX_IP = 64


@dataclass(frozen=True)
class AcknowledgementView:
    delivery_id: int
    spoc_id: int
    spoc_name: str
    spoc_email: str
    provider_ref: str
    provider_name: str
    cycle: str
    cycle_label: str
    active_from: datetime
    active_until: datetime
    document_ref: str
    link_expires_at: datetime
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class AcknowledgementResult:
    already: bool
    view: AcknowledgementView


def load_acknowledgement(uow: UnitOfWork, token: str, *, now: datetime) -> AcknowledgementView:
    """What the link is for; raises a ``LinkProblem`` if it cannot be used. Writes
    nothing: mail scanners open it, so the caller opens ``container.read_uow()``."""
    return _view(_usable_link(uow, token, now))


def acknowledge(
    uow: UnitOfWork,
    mailroom: Mailroom,
    token: str,
    *,
    ip: str,
    user_agent: str,
    now: datetime,
) -> AcknowledgementResult:
    """Record the SPoC's acknowledgement and queue their unlock email, once, in the
    caller's transaction (the caller commits).

    A repeat is answered with ``already=True`` and audited; a link that cannot be used
    is audited as a rejection (never with the token; that record is committed at once)
    and its ``LinkProblem`` re-raised.
    """
    try:
        link = _usable_link_locked(uow, token, now)
    except LinkProblem as problem:
        record_rejection(
            uow, mailroom.keyring, problem, ip=ip, now=now, delivery_id=problem.delivery_id
        )
        raise

    delivery = link.delivery
    assert delivery is not None
    first = _record_acknowledgement(uow, delivery, ip=ip, user_agent=user_agent, now=now)
    uow.refresh(delivery)
    details = {
        "provider_ref": delivery.access_code.provider.ref,
        "cycle": str(delivery.access_code.cycle),
        "delivery_id": delivery.id,
    }
    if first:
        audit.event(
            uow,
            mailroom.keyring,
            AuditTag.SPOC_RECEIPT_ACKNOWLEDGE,
            actor=f"spoc:{delivery.spoc_id}",
            source=ip,
            now=now,
            **details,
        )
        queue_unlock_email(uow, mailroom, delivery=delivery, now=now)
    else:
        acknowledged_at = delivery.acknowledged_at
        assert acknowledged_at is not None
        audit.event(
            uow,
            mailroom.keyring,
            AuditTag.SPOC_RECEIPT_REPEAT,
            actor=f"spoc:{delivery.spoc_id}",
            source=ip,
            now=now,
            **details,
            first_acknowledged_at=acknowledged_at.isoformat(),
        )
    return AcknowledgementResult(already=not first, view=_view(link))


def _usable_link(uow: UnitOfWork, token: str, now: datetime) -> LinkToken:
    link = find_link(uow, token, TokenPurpose.ACKNOWLEDGE)
    delivery = link.delivery
    if delivery is None:
        raise LinkNotFound()
    code = delivery.access_code
    if code.state is CodeState.REVOKED:
        raise LinkReplaced(link, "reissued")
    if code.state is CodeState.RETIRED or code.active_until <= now:
        raise LinkExpired(link, "code-retired")
    if not (delivery.spoc.active and code.provider.active):
        # A SPoC taken off the register (perhaps after leaving, §48) must not be able
        # to get the unlock code with a link sent before.
        raise LinkExpired(link, "withdrawn")
    if link.expires_at <= now:
        raise LinkExpired(link)
    return link


def _usable_link_locked(uow: UnitOfWork, token: str, now: datetime) -> LinkToken:
    """``_usable_link`` checked again under the provider's lock, as a reissue takes it.

    A reissue then commits either before (this link is refused as replaced) or after
    (and cancels the email 2 queued here): email 2 is never queued for a revoked code.
    """
    link = _usable_link(uow, token, now)
    assert link.delivery is not None
    code = link.delivery.access_code
    uow.register.lock_provider(code.provider_id)
    uow.refresh(code, link)
    return _usable_link(uow, token, now)


def _record_acknowledgement(
    uow: UnitOfWork, delivery: Delivery, *, ip: str, user_agent: str, now: datetime
) -> bool:
    """True if this call acknowledged; False if it was already (even a moment ago)."""
    return uow.deliveries.acknowledge(
        delivery.id, at=now, ip=ip[:MAX_IP], user_agent=user_agent[:MAX_USER_AGENT]
    )


def _view(link: LinkToken) -> AcknowledgementView:
    delivery = link.delivery
    assert delivery is not None
    code = delivery.access_code
    return AcknowledgementView(
        delivery_id=delivery.id,
        spoc_id=delivery.spoc_id,
        spoc_name=delivery.spoc.name,
        spoc_email=delivery.spoc.email,
        provider_ref=code.provider.ref,
        provider_name=code.provider.name,
        cycle=str(code.cycle),
        cycle_label=cycle_label(code.cycle),
        active_from=code.active_from,
        active_until=code.active_until,
        document_ref=code.document_ref,
        link_expires_at=link.expires_at,
        acknowledged_at=delivery.acknowledged_at,
    )
