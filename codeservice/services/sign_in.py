"""Staff signing in and out, and checking that a session is still good.

A password is checked outside any transaction — Argon2 is slow on purpose, and SQLite
would hold its write lock meanwhile — and the outcome is then applied to the freshly
read (and, on PostgreSQL, row-locked) account, so concurrent failures all count.
Every outcome is audited with the username tried and the address, never the password.
Failures are counted per account, per typed name with no account (the same way, so no
answer tells the two apart) and per client address (``services.sign_in_throttle``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NoReturn

from argon2.exceptions import InvalidHashError, VerificationError

from codeservice.bootstrap import Container
from codeservice.config import Settings
from codeservice.domain.accounts import (
    LockoutPolicy,
    Principal,
    Role,
    SessionPolicy,
    SignInState,
    after_failure,
    after_success,
    failure_delay,
)
from codeservice.domain.audit import AuditTag
from codeservice.errors import CodeserviceError
from codeservice.services.accounts import audit_staff, hasher
from codeservice.services.sign_in_throttle import (
    ADDRESS,
    NAME,
    AddressThrottled,
    address_policy,
    address_refused_until,
    count_address_failure,
    forget_expired,
    name_state,
    note_name_failure,
    throttle_key,
)
from codeservice.storage.models import SignInThrottle, StaffUser
from codeservice.storage.uow import UnitOfWork

_MAX_NAME_TRIED = 64  # what the audit keeps of a username typed at the sign-in page


def lockout_policy(settings: Settings) -> LockoutPolicy:
    return LockoutPolicy(
        attempts=settings.sign_in_lock_attempts,
        lock_for=timedelta(minutes=settings.sign_in_lock_minutes),
        max_delay=timedelta(milliseconds=settings.sign_in_delay_max_ms),
    )


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        longest=timedelta(hours=settings.session_max_hours),
    )


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


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    session_epoch: int
    principal: Principal


def sign_in(container: Container, username: str, password: str, *, ip: str) -> SignedIn:
    """Check a username and password; raise ``SignInRefused``, ``AccountLocked`` or
    ``AddressThrottled``. The caller waits the refusal's ``delay`` before answering.

    A name with no account, and a disabled account, are counted and locked exactly
    like a wrong password on a real one: every answer and delay is the same.
    """
    typed = username.strip().lower()
    lookup = typed if 0 < len(typed) <= _MAX_NAME_TRIED else None  # no name is longer
    address_key = throttle_key(container, ADDRESS, ip)
    with container.uow() as uow:
        now = container.now()
        forget_expired(uow, now)
        attempt = _Attempt(uow, container, typed[:_MAX_NAME_TRIED], ip, now, address_key)
        attempt.refuse_if_throttled()
        found = uow.accounts.user_named(lookup) if lookup else None
        seen_hash = found.password_hash if found is not None else None
        uow.commit()
    correct = _verify(seen_hash, password)  # against a dummy hash when there is no account

    with container.uow() as uow:
        attempt = _Attempt(
            uow, container, typed[:_MAX_NAME_TRIED], ip, container.now(), address_key
        )
        attempt.refuse_if_throttled()
        user = uow.accounts.user_named(lookup, for_update=True) if lookup else None
        if user is None:
            attempt.fail_name(uow.throttles.hold(NAME, throttle_key(container, NAME, typed)))
        if user.password_hash != seen_hash:
            attempt.fail_account(user, "password_changed")
        if SignInState(user.failed_attempts, user.locked_until).is_locked(attempt.now):
            attempt.fail_account(user, "locked")
        if not user.active:
            attempt.fail_account(user, "disabled")
        if not correct:
            attempt.fail_account(user, "wrong_password")
        signed_in = _succeed(uow, container, user, password, ip, attempt.now)
    return signed_in


def _succeed(
    uow: UnitOfWork, container: Container, user: StaffUser, password: str, ip: str, now: datetime
) -> SignedIn:
    """A success clears the account's count, not its address': the failures on other
    names from the same address still count."""
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    fresh = after_success()
    user.failed_attempts, user.locked_until = fresh.failed_attempts, fresh.locked_until
    user.last_sign_in_at = now
    principal = _principal(user)
    audit_staff(
        uow,
        container,
        AuditTag.STAFF_SESSION_SIGN_IN,
        actor=principal.actor,
        source=ip,
        now=now,
        username=user.name,
        role=user.role,
    )
    signed_in = SignedIn(user.id, user.session_epoch, principal)
    uow.commit()
    return signed_in


class _Attempt:
    """One sign-in attempt's failures, counted against the name and the address."""

    def __init__(
        self,
        uow: UnitOfWork,
        container: Container,
        tried: str,
        ip: str,
        now: datetime,
        address_key: bytes,
    ) -> None:
        self.uow, self.container, self.tried, self.ip, self.now = uow, container, tried, ip, now
        self.address_key = address_key
        self.policy = lockout_policy(container.settings)
        self.limits = address_policy(container.settings)

    def refuse_if_throttled(self) -> None:
        """Before any password is looked at."""
        until = address_refused_until(self.uow, self.address_key, self.limits, self.now)
        if until is None:
            return
        self._audit(
            AuditTag.STAFF_SESSION_SIGN_IN_REFUSE,
            username=self.tried,
            reason="address_throttled",
            throttled_until=until.isoformat(),
        )
        self.uow.commit()
        raise AddressThrottled(until)

    def fail_name(self, row: SignInThrottle) -> NoReturn:
        def keep(new: SignInState) -> None:
            note_name_failure(row, new, self.now)

        self._fail(name_state(row), keep, username=self.tried, reason="unknown_user")

    def fail_account(self, user: StaffUser, reason: str) -> NoReturn:
        def keep(new: SignInState) -> None:
            user.failed_attempts, user.locked_until = new.failed_attempts, new.locked_until

        state = SignInState(user.failed_attempts, user.locked_until)
        self._fail(state, keep, username=user.name, reason=reason, account=True)

    def _fail(
        self,
        state: SignInState,
        keep: Callable[[SignInState], None],
        *,
        username: str,
        reason: str,
        account: bool = False,
    ) -> NoReturn:
        """Count the failure; the password is not looked at while the name is locked."""
        count_address_failure(self.uow, self.address_key, self.limits, self.now)
        if state.locked_until is not None and state.is_locked(self.now):
            self._audit(
                AuditTag.STAFF_SESSION_SIGN_IN_REFUSE,
                username=username,
                reason="locked",
                locked_until=state.locked_until.isoformat(),
            )
            self.uow.commit()
            raise AccountLocked(state.locked_until)
        new = after_failure(state, self.policy, self.now)
        keep(new)
        delay = failure_delay(new.failed_attempts, self.policy)
        self._audit(
            AuditTag.STAFF_SESSION_SIGN_IN_FAIL,
            username=username,
            reason=reason,
            failed_attempts=new.failed_attempts,
        )
        if new.locked_until is not None and account:
            self._audit(
                AuditTag.STAFF_ACCOUNT_LOCK,
                actor="system",
                username=username,
                failed_attempts=new.failed_attempts,
                locked_until=new.locked_until.isoformat(),
            )
        self.uow.commit()
        if new.locked_until is not None:
            raise AccountLocked(new.locked_until, delay)
        raise SignInRefused(delay)

    def _audit(self, action: AuditTag, *, actor: str = "anonymous", **details: Any) -> None:
        audit_staff(
            self.uow, self.container, action, actor=actor, source=self.ip, now=self.now, **details
        )


def sign_out(container: Container, user_id: int, session_epoch: int, *, ip: str) -> None:
    """End the session: every cookie carrying this epoch stops working."""
    now = container.now()
    with container.uow() as uow:
        user = uow.accounts.user(user_id)
        if user is None or user.session_epoch != session_epoch:
            return  # already ended
        user.session_epoch += 1
        audit_staff(
            uow,
            container,
            AuditTag.STAFF_SESSION_SIGN_OUT,
            actor=f"user:{user.name}",
            source=ip,
            now=now,
            username=user.name,
        )
        uow.commit()


def session_principal(container: Container, user_id: int, session_epoch: int) -> Principal | None:
    """Who a session belongs to, or None if the account or the session has ended."""
    with container.read_uow() as uow:
        user = uow.accounts.user(user_id)
        if user is None or not user.active or user.session_epoch != session_epoch:
            return None
        return _principal(user)


def _principal(user: StaffUser) -> Principal:
    return Principal(
        kind="user", name=user.name, role=Role(user.role), display_name=user.display_name
    )


@cache
def _dummy_hash() -> str:
    return hasher.hash("not anyone's password: it only makes unknown names take as long")


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        matches = hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and password_hash is not None
