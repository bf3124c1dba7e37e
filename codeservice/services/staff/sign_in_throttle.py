"""Counting sign-in failures: per name, per name and address, per address.

* **name**: an account counts failures in a row in its own columns; a typed name with
  no account is counted exactly the same way here, so that no answer (status, text,
  delay) tells a real username from an unknown one. A name locks, for everybody,
  after ``ACCOUNT_LOCK_ATTEMPTS`` failures in a row, whatever their addresses.
* **pair** (name + address): ``sign_in_lock_attempts`` failures in a row lock the name
  for that address only, so one caller cannot shut a member of staff out elsewhere.
* **address**: at most ``sign_in_address_attempts`` failures, any names, in a window;
  then the address is refused before any password is checked.

Rows are keyed by an HMAC under the keyring's fingerprint key: the table never holds a
typed name or an address. Every refusal and failure is audited, never a password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from codeservice import metrics
from codeservice.config import Settings
from codeservice.crypto.keyring import Keyring
from codeservice.domain.accounts import LockoutPolicy, SignInState, after_failure, failure_delay
from codeservice.domain.audit import AuditTag
from codeservice.domain.throttle import (
    ACCOUNT_LOCK_ATTEMPTS,
    AddressPolicy,
    AddressWindow,
    after_address_failure,
)
from codeservice.errors import CodeserviceError
from codeservice.services.operations import audit
from codeservice.services.staff.throttle_keys import ADDRESS, NAME, PAIR, name_key, throttle_key
from codeservice.storage.models import SignInThrottle, StaffUser
from codeservice.storage.uow import UnitOfWork


class SignInRefused(CodeserviceError):
    """The username or password is wrong; which of the two is never said."""

    status_code = 400

    def __init__(self, delay: timedelta) -> None:
        super().__init__("Enter a correct username and password")
        self.delay = delay


class AccountLocked(CodeserviceError):
    status_code = 429

    def __init__(self, locked_until: datetime, delay: timedelta = timedelta(0)) -> None:
        super().__init__("This account is locked after too many wrong passwords")
        self.locked_until = locked_until
        self.delay = delay


class AddressThrottled(CodeserviceError):
    """Too many failures from one client address: refused before any password is checked."""

    status_code = 429

    def __init__(self, until: datetime) -> None:
        super().__init__("Too many sign-in attempts from this network")
        self.until = until


def lockout_policy(settings: Settings) -> LockoutPolicy:
    """For one name from one address."""
    return LockoutPolicy(
        attempts=settings.sign_in_lock_attempts,
        lock_for=timedelta(minutes=settings.sign_in_lock_minutes),
        max_delay=timedelta(milliseconds=settings.sign_in_delay_max_ms),
    )


def name_policy(settings: Settings) -> LockoutPolicy:
    """For one name from anywhere: NIST SP 800-63B's cap of 100 failures in a row."""
    pair = lockout_policy(settings)
    attempts = max(ACCOUNT_LOCK_ATTEMPTS, pair.attempts)
    return LockoutPolicy(attempts=attempts, lock_for=pair.lock_for, max_delay=pair.max_delay)


def address_policy(settings: Settings) -> AddressPolicy:
    return AddressPolicy(
        attempts=settings.sign_in_address_attempts,
        window=timedelta(minutes=settings.sign_in_address_window_minutes),
    )


@dataclass(frozen=True)
class SignInRules:
    """The settings an attempt is counted by: for one name from one address, for one
    name from anywhere, and for one address."""

    pair: LockoutPolicy
    name: LockoutPolicy
    address: AddressPolicy


def sign_in_rules(settings: Settings) -> SignInRules:
    return SignInRules(lockout_policy(settings), name_policy(settings), address_policy(settings))


class Attempt:
    """One sign-in attempt, inside its unit of work: refusals, failures and their counts.

    Rows are locked in one order — the account or name, the pair, the address — so
    concurrent attempts never deadlock and every failure counts.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        keyring: Keyring,
        rules: SignInRules,
        typed: str,
        tried: str,
        ip: str,
        *,
        now: datetime,
    ) -> None:
        self.uow, self.keyring, self.tried, self.ip = uow, keyring, tried, ip
        self.now = now
        self.address_key = throttle_key(keyring, ADDRESS, ip)
        self.pair_key = throttle_key(keyring, PAIR, f"{typed}\x00{ip}")
        self.name_key = name_key(keyring, typed)
        self.pair_policy, self.name_policy = rules.pair, rules.name
        self.limits = rules.address
        self._pair: SignInThrottle | None = None

    def forget_expired(self) -> None:
        self.uow.throttles.forget_expired(self.now)

    def refuse_if_throttled(self) -> None:
        """Before any password is looked at."""
        row = self.uow.throttles.find(ADDRESS, self.address_key)
        until = None if row is None else _window(row).refused_until(self.limits, self.now)
        if until is None:
            return
        self._audit(
            AuditTag.STAFF_SESSION_SIGN_IN_REFUSE,
            username=self.tried,
            reason="address_throttled",
            throttled_until=until.isoformat(),
        )
        self.uow.commit()
        metrics.SIGN_IN_FAILURES.labels("throttled").inc()
        raise AddressThrottled(until)

    def pair(self) -> SignInThrottle:
        if self._pair is None:
            self._pair = self.uow.throttles.hold(PAIR, self.pair_key, name_hash=self.name_key)
        return self._pair

    def locked_until(self, account: SignInState) -> datetime | None:
        pair = _state(self.pair())
        untils = [s.locked_until for s in (account, pair) if s.is_locked(self.now)]
        return max(u for u in untils if u is not None) if untils else None

    def succeeded(self) -> None:
        """This name from this address starts afresh; the address' count stays, so a
        success does not wipe failures on other names from the same address."""
        pair = self.pair()
        pair.failures, pair.locked_until, pair.forget_at = 0, None, self.now

    def fail_name(self) -> NoReturn:
        row = self.uow.throttles.hold(NAME, self.name_key)

        def keep(new: SignInState) -> None:
            _keep(row, new, self.now)

        self._fail(_state(row), keep, username=self.tried, reason="unknown_user")

    def fail_account(self, user: StaffUser, reason: str) -> NoReturn:
        def keep(new: SignInState) -> None:
            user.failed_attempts, user.locked_until = new.failed_attempts, new.locked_until

        state = SignInState(user.failed_attempts, user.locked_until)
        self._fail(state, keep, username=user.name, reason=reason, account=True)

    def _fail(
        self,
        name: SignInState,
        keep_name: Callable[[SignInState], None],
        *,
        username: str,
        reason: str,
        account: bool = False,
    ) -> NoReturn:
        """Count the failure; the password is not looked at while the name is locked."""
        pair_row = self.pair()
        locked_until = self.locked_until(name)
        self._count_address_failure()
        if locked_until is not None:
            self._audit(
                AuditTag.STAFF_SESSION_SIGN_IN_REFUSE,
                username=username,
                reason="locked",
                locked_until=locked_until.isoformat(),
            )
            self.uow.commit()
            metrics.SIGN_IN_FAILURES.labels("locked").inc()
            raise AccountLocked(locked_until)
        new_name = after_failure(name, self.name_policy, self.now)
        new_pair = after_failure(_state(pair_row), self.pair_policy, self.now)
        keep_name(new_name)
        _keep(pair_row, new_pair, self.now)
        count = max(new_name.failed_attempts, new_pair.failed_attempts)
        delay = failure_delay(count, self.pair_policy)
        self._audit(
            AuditTag.STAFF_SESSION_SIGN_IN_FAIL,
            username=username,
            reason=reason,
            failed_attempts=new_name.failed_attempts,
        )
        untils = [u for u in (new_name.locked_until, new_pair.locked_until) if u is not None]
        if untils and account:
            self._audit(
                AuditTag.STAFF_ACCOUNT_LOCK,
                actor="system",
                username=username,
                failed_attempts=new_name.failed_attempts,
                locked_until=max(untils).isoformat(),
                scope="everywhere" if new_name.locked_until else "this address",
            )
        self.uow.commit()
        metrics.SIGN_IN_FAILURES.labels("wrong").inc()
        if untils:
            metrics.SIGN_IN_LOCKOUTS.inc()
            raise AccountLocked(max(untils), delay)
        raise SignInRefused(delay)

    def _count_address_failure(self) -> None:
        row = self.uow.throttles.hold(ADDRESS, self.address_key)
        window = after_address_failure(_window(row), self.limits, self.now)
        row.failures, row.window_started = window.failures, window.started
        row.last_failed_at = self.now
        row.locked_until = window.refused_until(self.limits, self.now)
        row.forget_at = window.ends(self.limits)

    def _audit(self, action: AuditTag, *, actor: str = "anonymous", **details: Any) -> None:
        audit.event(
            self.uow, self.keyring, action, actor=actor, source=self.ip, now=self.now, **details
        )


def _state(row: SignInThrottle) -> SignInState:
    return SignInState(row.failures, row.locked_until)


def _keep(row: SignInThrottle, new: SignInState, now: datetime) -> None:
    """A name or pair not locked is kept (as an account keeps its count) until a success."""
    if new.failed_attempts == 1:
        row.window_started = now
    row.failures, row.locked_until, row.last_failed_at = new.failed_attempts, new.locked_until, now
    row.forget_at = new.locked_until


def _window(row: SignInThrottle) -> AddressWindow:
    return AddressWindow(started=row.window_started, failures=row.failures)
