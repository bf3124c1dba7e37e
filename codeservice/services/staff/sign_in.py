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

from argon2.exceptions import InvalidHashError, VerificationError

from codeservice.config import Settings
from codeservice.crypto.keyring import Keyring
from codeservice.domain.accounts import (
    Principal,
    Role,
    SessionPolicy,
    SignInState,
    after_success,
    could_be_username,
)
from codeservice.domain.audit import AuditTag
from codeservice.services.operations import audit
from codeservice.services.staff.accounts import hasher
from codeservice.services.staff.sign_in_throttle import AccountLocked as AccountLocked
from codeservice.services.staff.sign_in_throttle import AddressThrottled as AddressThrottled
from codeservice.services.staff.sign_in_throttle import Attempt, SignInRules
from codeservice.services.staff.sign_in_throttle import SignInRefused as SignInRefused
from codeservice.services.staff.sign_in_throttle import lockout_policy as lockout_policy
from codeservice.storage.models import StaffUser
from codeservice.storage.uow import UnitOfWork

_MAX_NAME_TRIED = 64  # what the audit keeps of a username typed at the sign-in page


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        longest=timedelta(hours=settings.session_max_hours),
    )


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    session_epoch: int
    principal: Principal


@dataclass(frozen=True)
class PasswordAccepted:
    """The first step passed: the account must now show a second factor (or, with none,
    set one up) before a session begins (``services.staff.second_step``)."""

    user_id: int
    session_epoch: int
    has_factor: bool


def sign_in(
    uows: Callable[[], UnitOfWork],
    keyring: Keyring,
    rules: SignInRules,
    username: str,
    password: str,
    *,
    ip: str,
    now: datetime,
) -> PasswordAccepted:
    """Check a username and password; raise ``SignInRefused``, ``AccountLocked`` or
    ``AddressThrottled``. The caller waits the refusal's ``delay`` before answering.

    Two transactions from ``uows``, the password checked between them (see the module's
    docstring). A name with no account, and a disabled account, are counted and locked
    exactly like a wrong password on a real one: every answer and delay is the same. A
    right password clears no count: only the second step does, so a password known to
    somebody else gives them no more tries at the second factor.
    """
    typed = username.strip().lower()
    lookup = typed if could_be_username(typed) else None  # no account has another shape
    tried = typed[:_MAX_NAME_TRIED]
    with uows() as uow:
        attempt = Attempt(uow, keyring, rules, typed, tried, ip, now=now)
        attempt.forget_expired()
        attempt.refuse_if_throttled()
        found = uow.accounts.user_named(lookup) if lookup else None
        seen_hash = found.password_hash if found is not None else None
        uow.commit()
    correct = _verify(seen_hash, password)  # against a dummy hash when there is no account

    with uows() as uow:
        attempt = Attempt(uow, keyring, rules, typed, tried, ip, now=now)
        attempt.refuse_if_throttled()
        user = uow.accounts.user_named(lookup, for_update=True) if lookup else None
        if user is None:
            attempt.fail_name()
        if user.password_hash != seen_hash:
            attempt.fail_account(user, "password_changed")
        if attempt.locked_until(SignInState(user.failed_attempts, user.locked_until)):
            attempt.fail_account(user, "locked")
        if not user.active:
            attempt.fail_account(user, "disabled")
        if not correct:
            attempt.fail_account(user, "wrong_password")
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        accepted = PasswordAccepted(
            user.id, user.session_epoch, uow.second_factors.factor_count(user.id) > 0
        )
        uow.commit()
    return accepted


def complete_sign_in(
    uow: UnitOfWork,
    attempt: Attempt,
    keyring: Keyring,
    user: StaffUser,
    ip: str,
    *,
    factor: str,
) -> SignedIn:
    """Both steps passed: the counts start afresh and the session may begin (when the
    caller commits ``uow``). A success clears the account's count, not its address':
    the failures on other names from the same address still count."""
    now = attempt.now
    attempt.succeeded()
    fresh = after_success()
    user.failed_attempts, user.locked_until = fresh.failed_attempts, fresh.locked_until
    user.last_sign_in_at = now
    principal = _principal(user)
    audit.event(
        uow,
        keyring,
        AuditTag.STAFF_SESSION_SIGN_IN,
        actor=principal.actor,
        source=ip,
        now=now,
        username=user.name,
        role=user.role,
        factor=factor,
    )
    return SignedIn(user.id, user.session_epoch, principal)


def sign_out(
    uow: UnitOfWork, keyring: Keyring, user_id: int, session_epoch: int, *, ip: str, now: datetime
) -> None:
    """End the session: every cookie carrying this epoch stops working."""
    user = uow.accounts.user(user_id)
    if user is None or user.session_epoch != session_epoch:
        return  # already ended
    user.session_epoch += 1
    audit.event(
        uow,
        keyring,
        AuditTag.STAFF_SESSION_SIGN_OUT,
        actor=f"user:{user.name}",
        source=ip,
        now=now,
        username=user.name,
    )


def session_principal(uow: UnitOfWork, user_id: int, session_epoch: int) -> Principal | None:
    """Who a session belongs to, or None if the account or the session has ended."""
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
