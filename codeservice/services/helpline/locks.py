"""A prime provider's verification locked for the day after repeated fails (§23).

Making a lock writes it, an audit record and one alert to the security mailbox; only
the security team lifts one before the day ends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from codeservice import metrics
from codeservice.domain import challenges as rules
from codeservice.domain.audit import AuditTag
from codeservice.domain.challenges import NotLocked, ProviderNotFound, VerificationLocked
from codeservice.domain.wording import day_text, moment_text
from codeservice.emails import render
from codeservice.services.helpline.desk import Helpdesk
from codeservice.services.mail import queue_email
from codeservice.services.operations import audit
from codeservice.services.staff.actors import actor_names
from codeservice.storage.models import Challenge, Provider, VerificationLock
from codeservice.storage.repositories.helpline_rows import LockState, ProviderName
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

SOURCE = "helpline"


@dataclass(frozen=True)
class LockView:
    provider_ref: str
    provider_name: str
    day: date
    fails: int
    locked_at: datetime


def locked_error(prime: ProviderName, tz: ZoneInfo, now: datetime) -> VerificationLocked:
    day = day_text(now, tz)
    return VerificationLocked(
        f"verification for {prime.name} ({prime.ref}) is locked for the rest of {day} after "
        "repeated failed checks; the caller must call back tomorrow, or the security team "
        "can unlock it"
    )


def ensure_lock(
    uow: UnitOfWork,
    desk: Helpdesk,
    prime: ProviderName,
    *,
    now: datetime,
    agent: str,
    source: str,
    state: LockState | None = None,
) -> bool:
    """Whether the prime provider's verification is locked today: made now if its fails
    reached the limit.

    ``state``: its lock state today, if the caller has read it already
    (``HelplineRepository.prime_state``)."""
    tz = desk.tz
    day = rules.local_day(now, tz)
    day_start = rules.start_of_day(day, tz)
    if state is None:
        state = uow.helpline.lock_state(prime.id, day=day, day_start=day_start)
    if state.open:
        return True
    if not rules.lock_due(state.fails_today, desk.fail_limit):
        return False  # not even counting the fails before an unlock
    failed = [
        challenge
        for challenge in uow.helpline.failed_since(prime.id, day_start)
        if challenge.answered_at is not None
        and rules.counts_towards_lock(
            challenge.answered_at, day_start=day_start, unlocked_at=state.last_unlocked_at
        )
    ]
    fails = len(failed)
    if not rules.lock_due(fails, desk.fail_limit):
        return False
    lock = VerificationLock(provider_id=prime.id, day=day, fails=fails, locked_at=now)
    uow.helpline.add_lock(lock)
    audit.event(
        uow,
        desk.keyring,
        AuditTag.HELPLINE_VERIFICATION_LOCK,
        actor=agent,
        source=source,
        now=now,
        prime=prime.ref,
        day=day.isoformat(),
        fails=fails,
    )
    _queue_lock_alert(uow, desk, prime, lock, failed, state.count + 1)
    metrics.HELPLINE_LOCKS.inc()
    log.warning("helpline verification locked for %s after %d fails", prime.ref, fails)
    return True


def _queue_lock_alert(
    uow: UnitOfWork,
    desk: Helpdesk,
    prime: ProviderName,
    lock: VerificationLock,
    failed: list[Challenge],
    number: int,
) -> int:
    tz = desk.tz
    agents = actor_names(uow, [c.agent for c in failed])
    rendered = render(
        "helpline_locked",
        {
            "provider_name": prime.name,
            "provider_ref": prime.ref,
            "locked_at": moment_text(lock.locked_at, tz),
            "day": day_text(lock.locked_at, tz),
            "fails": lock.fails,
            "attempts": [
                {
                    "at": moment_text(c.answered_at, tz) if c.answered_at else "",
                    "agent": agents.get(c.agent, c.agent),
                    "asked_for": f"{c.asked_for.name} ({c.asked_for.ref})",
                }
                for c in failed
            ],
        },
    )
    key = f"helpline-locked:{prime.ref}:{lock.day.isoformat()}"
    return queue_email(
        uow,
        desk.postbox,
        rendered,
        to_name="Provider Direct security",
        to_email=desk.security_mailbox,
        dedupe_key=key if number == 1 else f"{key}:{number}",
        category="helpline-locked",
        now=lock.locked_at,
    )


def unlock_verification(
    uow: UnitOfWork,
    desk: Helpdesk,
    prime_ref: str,
    *,
    actor: str,
    now: datetime,
    source: str = SOURCE,
) -> None:
    """Lift today's lock (security team), committed here; fails before now no longer
    count towards one."""
    prime = _prime_of(uow, prime_ref)
    uow.register.lock_provider(prime.id)
    day = rules.local_day(now, desk.tz)
    lock = uow.helpline.open_lock(prime.id, day)
    if lock is None:
        raise NotLocked(f"verification for {prime.name} ({prime.ref}) is not locked today")
    lock.unlocked_at = now
    lock.unlocked_by = actor
    audit.event(
        uow,
        desk.keyring,
        AuditTag.HELPLINE_VERIFICATION_UNLOCK,
        actor=actor,
        source=source,
        now=now,
        prime=prime.ref,
        day=day.isoformat(),
        fails=lock.fails,
    )
    uow.commit()
    log.info("helpline verification for %s unlocked by %s", prime.ref, actor)


def unlocked_today(uow: UnitOfWork, desk: Helpdesk, prime_ref: str, *, now: datetime) -> bool:
    """Whether the prime provider was locked today and is unlocked now: a second unlock
    (a double click, another tab, a colleague) then finds the lock lifted as asked."""
    prime = _prime_of(uow, prime_ref)
    day = rules.local_day(now, desk.tz)
    state = uow.helpline.lock_state(prime.id, day=day, day_start=rules.start_of_day(day, desk.tz))
    return not state.open and state.last_unlocked_at is not None


def _prime_of(uow: UnitOfWork, ref: str) -> Provider:
    provider = uow.register.get_provider(ref.strip())
    if provider is None:
        raise ProviderNotFound(f"no provider has the ref {ref.strip()!r}")
    return provider if provider.is_prime or provider.prime is None else provider.prime


def verification_locks(uow: UnitOfWork, tz: ZoneInfo, *, now: datetime) -> list[LockView]:
    """The providers whose verification is locked today (``tz``'s day)."""
    return [
        LockView(
            provider_ref=lock.provider.ref,
            provider_name=lock.provider.name,
            day=lock.day,
            fails=lock.fails,
            locked_at=lock.locked_at,
        )
        for lock in uow.helpline.open_locks(rules.local_day(now, tz))
    ]
