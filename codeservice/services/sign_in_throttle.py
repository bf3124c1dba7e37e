"""Sign-in throttling kept in ``sign_in_throttles``: by typed name and by client address.

A typed name with no account is counted exactly like an account (``domain.accounts``:
failures in a row, a time-limited lock, a growing delay), so that no answer tells a
real username from an unknown one. A client address is counted across every name
(``domain.throttle``). Both are keyed by an HMAC under the keyring's fingerprint key:
the table never holds a typed name or an address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from codeservice.bootstrap import Container
from codeservice.config import Settings
from codeservice.domain.accounts import SignInState
from codeservice.domain.throttle import AddressPolicy, AddressWindow, after_address_failure
from codeservice.errors import CodeserviceError
from codeservice.storage.models import SignInThrottle
from codeservice.storage.uow import UnitOfWork

NAME = "name"
ADDRESS = "address"


class AddressThrottled(CodeserviceError):
    """Too many failures from one client address: refused before any password is checked."""

    status_code = 429

    def __init__(self, until: datetime) -> None:
        super().__init__("Too many sign-in attempts from this network")
        self.until = until


def address_policy(settings: Settings) -> AddressPolicy:
    return AddressPolicy(
        attempts=settings.sign_in_address_attempts,
        window=timedelta(minutes=settings.sign_in_address_window_minutes),
    )


def throttle_key(container: Container, kind: str, value: str) -> bytes:
    return container.keyring.fingerprint(f"codeservice/v1/sign-in-throttle/{kind}/{value}")


def address_refused_until(
    uow: UnitOfWork, key: bytes, policy: AddressPolicy, now: datetime
) -> datetime | None:
    row = uow.throttles.find(ADDRESS, key)
    return None if row is None else _window(row).refused_until(policy, now)


def count_address_failure(
    uow: UnitOfWork, key: bytes, policy: AddressPolicy, now: datetime
) -> None:
    row = uow.throttles.hold(ADDRESS, key)
    window = after_address_failure(_window(row), policy, now)
    row.failures, row.window_started, row.last_failed_at = window.failures, window.started, now
    row.locked_until = window.refused_until(policy, now)
    row.forget_at = window.ends(policy)


def name_state(row: SignInThrottle) -> SignInState:
    return SignInState(row.failures, row.locked_until)


def note_name_failure(row: SignInThrottle, new: SignInState, now: datetime) -> None:
    """Keep a name's new state; one not locked is kept, as an account keeps its count."""
    if new.failed_attempts == 1:
        row.window_started = now
    row.failures, row.locked_until, row.last_failed_at = new.failed_attempts, new.locked_until, now
    row.forget_at = new.locked_until


def forget_expired(uow: UnitOfWork, now: datetime) -> None:
    uow.throttles.forget_expired(now)


def _window(row: SignInThrottle) -> AddressWindow:
    return AddressWindow(started=row.window_started, failures=row.failures)
