"""Staff signing in and out, and checking that a session is still good.

A password is checked outside any transaction — Argon2 is slow on purpose, and SQLite
would hold its write lock meanwhile — and the outcome is then applied to the freshly
read (and, on PostgreSQL, row-locked) account, so concurrent failures all count.
Every outcome is audited with the username tried and the address, never the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import NoReturn

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
from codeservice.services.staff.accounts import audit_staff, hasher
from codeservice.storage.models import StaffUser
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
    """Check a username and password; raise ``SignInRefused`` or ``AccountLocked``.

    The caller waits the refusal's ``delay`` before answering.
    """
    policy = lockout_policy(container.settings)
    typed = username.strip().lower()
    lookup = typed if 0 < len(typed) <= _MAX_NAME_TRIED else None  # no name is longer
    tried = typed[:_MAX_NAME_TRIED]
    with container.uow() as uow:
        found = uow.accounts.user_named(lookup) if lookup else None
        seen_hash = found.password_hash if found is not None else None
    correct = _verify(seen_hash, password)  # against a dummy hash when there is no account

    now = container.now()
    with container.uow() as uow:
        user = uow.accounts.user_named(lookup, for_update=True) if lookup else None
        if user is None or user.password_hash != seen_hash:
            reason = "unknown_user" if user is None else "password_changed"
            _refuse(uow, container, tried, ip, now, reason, failure_delay(1, policy))
        state = SignInState(user.failed_attempts, user.locked_until)
        if state.is_locked(now):
            _still_locked(uow, container, user, ip, now)
        if not user.active:
            _refuse(uow, container, tried, ip, now, "disabled", failure_delay(1, policy))
        if not correct:
            _wrong_password(uow, container, user, state, policy, ip, now)
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


def _refuse(
    uow: UnitOfWork,
    container: Container,
    tried: str,
    ip: str,
    now: datetime,
    reason: str,
    delay: timedelta,
) -> NoReturn:
    audit_staff(
        uow,
        container,
        AuditTag.STAFF_SESSION_SIGN_IN_FAIL,
        actor="anonymous",
        source=ip,
        now=now,
        username=tried,
        reason=reason,
    )
    uow.commit()
    raise SignInRefused(delay)


def _still_locked(
    uow: UnitOfWork, container: Container, user: StaffUser, ip: str, now: datetime
) -> NoReturn:
    """The password is not looked at while the account is locked, right or wrong."""
    assert user.locked_until is not None
    audit_staff(
        uow,
        container,
        AuditTag.STAFF_SESSION_SIGN_IN_REFUSE,
        actor="anonymous",
        source=ip,
        now=now,
        username=user.name,
        reason="locked",
        locked_until=user.locked_until.isoformat(),
    )
    uow.commit()
    raise AccountLocked(user.locked_until)


def _wrong_password(
    uow: UnitOfWork,
    container: Container,
    user: StaffUser,
    state: SignInState,
    policy: LockoutPolicy,
    ip: str,
    now: datetime,
) -> NoReturn:
    new = after_failure(state, policy, now)
    user.failed_attempts, user.locked_until = new.failed_attempts, new.locked_until
    delay = failure_delay(new.failed_attempts, policy)
    audit_staff(
        uow,
        container,
        AuditTag.STAFF_SESSION_SIGN_IN_FAIL,
        actor="anonymous",
        source=ip,
        now=now,
        username=user.name,
        reason="wrong_password",
        failed_attempts=new.failed_attempts,
    )
    if new.locked_until is not None:
        audit_staff(
            uow,
            container,
            AuditTag.STAFF_ACCOUNT_LOCK,
            actor="system",
            source=ip,
            now=now,
            username=user.name,
            failed_attempts=new.failed_attempts,
            locked_until=new.locked_until.isoformat(),
        )
    uow.commit()
    if new.locked_until is not None:
        raise AccountLocked(new.locked_until, delay)
    raise SignInRefused(delay)


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
