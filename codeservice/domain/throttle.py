"""Sign-in throttling by client address (pure).

An address may fail at most ``attempts`` times in a fixed window of ``window``
starting at its first failure; after that it is refused until the window ends,
before any password is checked. The account (or typed name) lockout in
``domain.accounts`` is separate and counts per name, whatever the address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class AddressPolicy:
    attempts: int
    window: timedelta


@dataclass(frozen=True)
class AddressWindow:
    """One address' failures counted since ``started`` (``None``: none counted)."""

    started: datetime | None
    failures: int

    def ends(self, policy: AddressPolicy) -> datetime | None:
        return None if self.started is None else self.started + policy.window

    def refused_until(self, policy: AddressPolicy, now: datetime) -> datetime | None:
        """When the address may try again, or ``None`` when it may try now."""
        ends = self.ends(policy)
        if ends is None or ends <= now or self.failures < policy.attempts:
            return None
        return ends


def after_address_failure(
    window: AddressWindow, policy: AddressPolicy, now: datetime
) -> AddressWindow:
    """The window after one more failure; a window that has run out starts afresh."""
    ends = window.ends(policy)
    if ends is None or ends <= now:
        return AddressWindow(started=now, failures=1)
    return AddressWindow(started=window.started, failures=window.failures + 1)


ACCOUNT_LOCK_ATTEMPTS = 100
"""Failures in a row, from any addresses, that lock a name for everybody: the most
NIST SP 800-63B §5.2.2 allows. Fewer, from one address, lock it for that address."""
