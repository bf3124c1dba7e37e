"""Reminders to SPoCs who have not acknowledged, and the escalation to the BMT mailbox.

A reminder goes only to a SPoC whose email 1 was sent on an earlier day, never
acknowledged, and whose code still stands. Its dedupe key names the delivery and the
local day, so each SPoC gets at most one a day however often this runs, and at most
``reminder_limit`` in all. Each reminder carries a fresh acknowledgement link (the
first one still works): tokens are kept only as digests, so the old link cannot be
sent again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Calendar, Cycle
from codeservice.domain.codes import STANDING, CodeState
from codeservice.domain.wording import cycle_label, day_text, moment_text
from codeservice.emails import render
from codeservice.services.distribution.board import NOT_ISSUED
from codeservice.services.distribution.notifications import ack_url, new_ack_link, reminder_tag
from codeservice.services.distribution.status import ProviderStatus, cycle_status
from codeservice.services.mail import Mailroom, queue_email, queue_for_bmt
from codeservice.services.operations import audit
from codeservice.storage.models import Delivery
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class ReminderReport:
    cycle: str
    day: str
    queued: int = 0
    already: int = 0  # reminded today already
    at_limit: int = 0
    not_sent_yet: int = 0  # email 1 not sent (queued, failed) or sent today


def reminder_key(delivery_id: int, day: date) -> str:
    return f"{reminder_tag(delivery_id)}{day.isoformat()}"


def send_reminders(
    uow: UnitOfWork,
    mailroom: Mailroom,
    calendar: Calendar,
    cycle: Cycle,
    day: date,
    *,
    limit: int,
    actor: str,
    source: str,
    now: datetime,
) -> ReminderReport:
    """Remind each SPoC due a reminder on ``day`` (at most ``limit`` each), in the
    caller's transaction (the caller commits)."""
    tz = mailroom.tz
    report = ReminderReport(cycle=str(cycle), day=day.isoformat())
    deliveries = _unacknowledged(uow, cycle)
    documents = {
        e.id: e for e in uow.outbox.by_ids([d.document_message_id or -1 for d in deliveries])
    }
    counts = _reminders_so_far(uow, [d.id for d in deliveries], calendar.dates(cycle).issue_at)
    for delivery in deliveries:
        if not _still_standing(uow, delivery):
            continue  # revoked by a reissue since it was read: its mail is cancelled
        document = documents.get(delivery.document_message_id or -1)
        if (
            document is None
            or document.sent_at is None
            or document.sent_at.astimezone(tz).date() >= day
        ):
            report.not_sent_yet += 1
            continue
        key = reminder_key(delivery.id, day)
        if uow.outbox.is_queued(key):
            report.already += 1
            continue
        if counts.get(delivery.id, 0) >= limit:
            report.at_limit += 1
            continue
        sent_on = day_text(document.sent_at, tz)
        _queue_reminder(uow, mailroom, delivery, key, sent_on=sent_on, now=now)
        audit.event(
            uow,
            mailroom.keyring,
            AuditTag.MAIL_REMINDER_QUEUE,
            actor=actor,
            source=source,
            now=now,
            provider=delivery.access_code.provider.ref,
            cycle=str(cycle),
            delivery_id=delivery.id,
            day=day.isoformat(),
        )
        report.queued += 1
    return report


def _still_standing(uow: UnitOfWork, delivery: Delivery) -> bool:
    """Under the provider's lock, as a reissue takes it: no reminder for a revoked code."""
    code = delivery.access_code
    uow.register.lock_provider(code.provider_id)
    uow.refresh(code)
    return code.state in STANDING


def _unacknowledged(uow: UnitOfWork, cycle: Cycle) -> list[Delivery]:
    return uow.deliveries.unacknowledged(cycle, STANDING)


def _reminders_so_far(uow: UnitOfWork, delivery_ids: list[int], since: datetime) -> dict[int, int]:
    if not delivery_ids:
        return {}
    keys = uow.outbox.dedupe_keys_since("reminder", since)
    wanted = set(delivery_ids)
    counts: dict[int, int] = {}
    for dedupe_key in keys:
        delivery_id = int(dedupe_key.split(":")[1].removeprefix("delivery-"))
        if delivery_id in wanted:
            counts[delivery_id] = counts.get(delivery_id, 0) + 1
    return counts


def _queue_reminder(
    uow: UnitOfWork,
    mailroom: Mailroom,
    delivery: Delivery,
    key: str,
    *,
    sent_on: str,
    now: datetime,
) -> None:
    tz = mailroom.tz
    code = delivery.access_code
    provider = code.provider
    spoc = delivery.spoc
    link, token = new_ack_link(uow, mailroom, delivery, now)
    rendered = render(
        "reminder",
        {
            "spoc_name": spoc.name,
            "provider_name": provider.name,
            "provider_ref": provider.ref,
            "cycle_label": cycle_label(code.cycle),
            "sent_on": sent_on,
            "active_from": moment_text(code.active_from, tz),
            "ack_url": ack_url(mailroom, token),
            "ack_expires": moment_text(link.expires_at, tz),
            "document_ref": code.document_ref,
            "bmt_mailbox": mailroom.bmt_mailbox,
        },
    )
    queue_email(
        uow,
        mailroom.postbox,
        rendered,
        to_name=spoc.name,
        to_email=spoc.email,
        dedupe_key=key,
        category="reminder",
        now=now,
    )


# --- escalation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Unacknowledged:
    ref: str
    name: str
    problem: str
    spocs: list[dict[str, str]] = field(default_factory=list)


@dataclass
class EscalationReport:
    cycle: str
    providers: list[Unacknowledged]
    queued: bool


def unacknowledged_providers(uow: UnitOfWork, tz: ZoneInfo, cycle: Cycle) -> list[Unacknowledged]:
    """Active prime providers where no SPoC has acknowledged the code that stands."""
    status = cycle_status(uow, cycle)
    active = {p.ref for p in uow.register.active_primes()}
    found: list[Unacknowledged] = []
    for provider in status.providers:
        if provider.ref not in active or provider.code_state in {
            CodeState.REVOKED,
            CodeState.RETIRED,
        }:
            continue
        if any(s.acknowledged_at for s in provider.spocs):
            continue
        found.append(
            Unacknowledged(
                provider.ref, provider.name, _problem(provider), _spoc_lines(provider, tz)
            )
        )
    return found


def escalate(
    uow: UnitOfWork,
    mailroom: Mailroom,
    calendar: Calendar,
    cycle: Cycle,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> EscalationReport:
    """One email to the BMT mailbox per cycle, if any provider has not acknowledged, in
    the caller's transaction (the caller commits)."""
    tz = mailroom.tz
    providers = unacknowledged_providers(uow, tz, cycle)
    key = f"escalation:{cycle}"
    if not providers or uow.outbox.is_queued(key):
        return EscalationReport(str(cycle), providers, queued=False)
    dates = calendar.dates(cycle)
    rendered = render(
        "escalation",
        {
            "cycle": str(cycle),
            "cycle_label": cycle_label(cycle),
            "active_from": moment_text(dates.active_from, tz),
            "active_from_day": day_text(dates.active_from, tz),
            "providers": providers,
        },
    )
    message_id = queue_for_bmt(
        uow,
        mailroom,
        rendered,
        dedupe_key=key,
        category="escalation",
        now=now,
    )
    audit.event(
        uow,
        mailroom.keyring,
        AuditTag.MAIL_ESCALATION_QUEUE,
        actor=actor,
        source=source,
        now=now,
        cycle=str(cycle),
        message=message_id,
        providers=[p.ref for p in providers],
    )
    return EscalationReport(str(cycle), providers, queued=True)


def _problem(provider: ProviderStatus) -> str:
    if provider.code_state == NOT_ISSUED:
        return "no code has been issued"
    if not provider.spocs:
        return "no active SPoC: nobody was sent the code"
    return "no SPoC has acknowledged"


def _spoc_lines(provider: ProviderStatus, tz: ZoneInfo) -> list[dict[str, str]]:
    lines = []
    for spoc in provider.spocs:
        if spoc.delivery_error:
            state = f"email 1 failed: {spoc.delivery_error[:200]}"
        elif spoc.document_sent_at is not None:
            state = f"email 1 sent {spoc.document_sent_at.astimezone(tz):%a %d %b %H:%M}"
        else:
            state = f"email 1 not sent yet ({spoc.document_state or 'not queued'})"
        lines.append({"email": spoc.email, "state": state})
    return lines
