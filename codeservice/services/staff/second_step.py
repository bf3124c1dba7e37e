"""The second step of signing in, and setting up a factor (at the first sign-in, or
another one later from the person's own account).

The second step counts its failures exactly as the password does
(``services.staff.sign_in_throttle``, the account's name and the address), so a
password known to somebody else gives them no more than the usual tries at the code:
the account locks, the address is throttled. Success clears the counts and is the one
``staff:session:sign_in`` record. A recovery code works once, and its use is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from codeservice.crypto.keyring import Keyring
from codeservice.domain.accounts import SignInState
from codeservice.domain.audit import AuditTag
from codeservice.domain.second_factors import FactorKind
from codeservice.errors import CodeserviceError, Conflict
from codeservice.services.operations import audit
from codeservice.services.staff.second_factors import issue_recovery_codes, recovery_digest
from codeservice.services.staff.sign_in import SignedIn, complete_sign_in
from codeservice.services.staff.sign_in_throttle import Attempt, SignInRules
from codeservice.services.staff.totp_factors import confirm_totp, use_totp_code
from codeservice.storage.models import StaffUser
from codeservice.storage.uow import UnitOfWork


class SignInExpired(CodeserviceError):
    """The half-finished sign-in no longer holds (signed out, reset, disabled)."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("Your sign-in has expired. Sign in again.")


@dataclass(frozen=True)
class PendingAccount:
    name: str
    kinds: frozenset[FactorKind]  # empty: the account must set one up


@dataclass(frozen=True)
class Enrolled:
    signed_in: SignedIn
    recovery_codes: list[str]


def pending_account(uow: UnitOfWork, user_id: int, epoch: int) -> PendingAccount:
    user = pending_user(uow, user_id, epoch)
    kinds = frozenset(FactorKind(f.kind) for f in uow.second_factors.factors_of(user.id))
    return PendingAccount(user.name, kinds)


def second_step_with_code(
    uow: UnitOfWork,
    keyring: Keyring,
    rules: SignInRules,
    user_id: int,
    epoch: int,
    code: str,
    *,
    ip: str,
    now: datetime,
) -> SignedIn:
    """Finish signing in with a code from the authenticator app."""

    def check(uow: UnitOfWork, user: StaffUser, attempt: Attempt) -> str | None:
        factor = use_totp_code(uow, keyring, user, code, attempt.now)
        return None if factor is None else FactorKind.TOTP.value

    return finish_second_step(uow, keyring, rules, user_id, epoch, ip, check, now=now)


def second_step_with_recovery_code(
    uow: UnitOfWork,
    keyring: Keyring,
    rules: SignInRules,
    user_id: int,
    epoch: int,
    code: str,
    *,
    ip: str,
    now: datetime,
) -> SignedIn:
    """Finish signing in with one of the account's recovery codes, which is then used up."""

    def check(uow: UnitOfWork, user: StaffUser, attempt: Attempt) -> str | None:
        digest = recovery_digest(keyring, user.id, code)
        if not digest or not uow.second_factors.use_recovery_code(user.id, digest, attempt.now):
            return None
        audit.event(
            uow,
            keyring,
            AuditTag.STAFF_FACTOR_RECOVERY_USE,
            actor=f"user:{user.name}",
            source=ip,
            now=attempt.now,
            username=user.name,
            left=uow.second_factors.recovery_codes_left(user.id),
        )
        return "recovery_code"

    return finish_second_step(uow, keyring, rules, user_id, epoch, ip, check, now=now)


Check = Callable[[UnitOfWork, StaffUser, Attempt], str | None]


def finish_second_step(
    uow: UnitOfWork,
    keyring: Keyring,
    rules: SignInRules,
    user_id: int,
    epoch: int,
    ip: str,
    check: Check,
    *,
    now: datetime,
) -> SignedIn:
    """A failure is committed in ``uow`` before it is raised, so that it counts."""
    user = pending_user(uow, user_id, epoch, for_update=True)
    attempt = Attempt(uow, keyring, rules, user.name, user.name, ip, now=now)
    attempt.refuse_if_throttled()
    if attempt.locked_until(SignInState(user.failed_attempts, user.locked_until)):
        attempt.fail_account(user, "locked")
    factor = check(uow, user, attempt)
    if factor is None:
        attempt.fail_account(user, "wrong_second_factor")
    return complete_sign_in(uow, attempt, keyring, user, ip, factor=factor)


def enrol_app_at_sign_in(
    uow: UnitOfWork,
    keyring: Keyring,
    rules: SignInRules,
    user_id: int,
    epoch: int,
    code: str,
    name: str,
    *,
    ip: str,
    now: datetime,
) -> Enrolled:
    """The first factor of an account that has none, confirmed by a code from the app:
    the sign-in finishes, and the account's recovery codes are made (shown once)."""
    user = pending_user(uow, user_id, epoch, for_update=True)
    if uow.second_factors.factor_count(user.id) > 0:
        raise Conflict("this account already has a second factor: sign in with it")
    attempt = Attempt(uow, keyring, rules, user.name, user.name, ip, now=now)
    attempt.refuse_if_throttled()
    confirm_totp(uow, keyring, user, code, name, now=now, source=ip)
    codes = issue_recovery_codes(uow, keyring, user, source=ip, now=now)
    signed_in = complete_sign_in(uow, attempt, keyring, user, ip, factor="totp")
    return Enrolled(signed_in, codes)


def add_app(
    uow: UnitOfWork,
    keyring: Keyring,
    user_id: int,
    code: str,
    name: str,
    *,
    source: str,
    now: datetime,
) -> str:
    """Another authenticator app for a signed-in person; its name."""
    user = uow.accounts.user(user_id)
    if user is None or not user.active:
        raise SignInExpired()
    return confirm_totp(uow, keyring, user, code, name, now=now, source=source).name


def pending_user(
    uow: UnitOfWork, user_id: int, epoch: int, *, for_update: bool = False
) -> StaffUser:
    user = uow.accounts.user(user_id)
    if user is not None and for_update:
        user = uow.accounts.user_named(user.name, for_update=True)
    if user is None or not user.active or user.session_epoch != epoch:
        raise SignInExpired()
    return user
