"""Security keys at the second step, at the first sign-in, and from one's own account:
the ceremonies of ``webauthn_factors`` in the transactions and checks of ``second_step``
(a wrong answer counts like a wrong code; the first key gives the recovery codes)."""

from __future__ import annotations

from datetime import datetime

from codeservice.crypto.keyring import Keyring
from codeservice.domain.second_factors import FactorKind
from codeservice.errors import Conflict, InputError
from codeservice.services.staff.second_factors import issue_recovery_codes
from codeservice.services.staff.second_step import (
    Enrolled,
    SignInExpired,
    finish_second_step,
    pending_user,
)
from codeservice.services.staff.sign_in import SignedIn, complete_sign_in
from codeservice.services.staff.sign_in_throttle import Attempt, SignInRules
from codeservice.services.staff.webauthn_factors import (
    RelyingParty,
    authentication_options,
    register_key,
    registration_options,
    use_key,
)
from codeservice.storage.models import StaffUser
from codeservice.storage.uow import UnitOfWork


def sign_in_key_options(
    uow: UnitOfWork, keyring: Keyring, user_id: int, epoch: int, rp: RelyingParty, *, now: datetime
) -> str:
    user = pending_user(uow, user_id, epoch)
    return authentication_options(uow, keyring, user, rp, now=now)


def second_step_with_key(
    uow: UnitOfWork,
    keyring: Keyring,
    rules: SignInRules,
    user_id: int,
    epoch: int,
    credential: str,
    rp: RelyingParty,
    *,
    ip: str,
    now: datetime,
) -> SignedIn:
    """Finish signing in with a security key's answer to the challenge."""

    def check(uow: UnitOfWork, user: StaffUser, attempt: Attempt) -> str | None:
        factor = use_key(uow, keyring, user, credential, rp, attempt.now)
        return None if factor is None else FactorKind.WEBAUTHN.value

    return finish_second_step(uow, keyring, rules, user_id, epoch, ip, check, now=now)


def set_up_key_options(
    uow: UnitOfWork, keyring: Keyring, user_id: int, epoch: int, rp: RelyingParty, *, now: datetime
) -> str:
    user = pending_user(uow, user_id, epoch)
    if uow.second_factors.factor_count(user.id) > 0:
        raise Conflict("this account already has a second factor: sign in with it")
    return registration_options(uow, keyring, user, rp, now=now)


def enrol_key_at_sign_in(
    uow: UnitOfWork,
    keyring: Keyring,
    rules: SignInRules,
    user_id: int,
    epoch: int,
    credential: str,
    name: str,
    rp: RelyingParty,
    *,
    ip: str,
    now: datetime,
) -> Enrolled:
    """The first factor of an account that has none is a security key: the sign-in
    finishes, and the account's recovery codes are made (shown once)."""
    user = pending_user(uow, user_id, epoch, for_update=True)
    if uow.second_factors.factor_count(user.id) > 0:
        raise Conflict("this account already has a second factor: sign in with it")
    attempt = Attempt(uow, keyring, rules, user.name, user.name, ip, now=now)
    attempt.refuse_if_throttled()
    try:
        register_key(uow, keyring, user, credential, name, rp, now=now, source=ip)
    except InputError:
        uow.commit()  # the challenge is used up, right or wrong
        raise
    codes = issue_recovery_codes(uow, keyring, user, source=ip, now=now)
    signed_in = complete_sign_in(uow, attempt, keyring, user, ip, factor="webauthn")
    return Enrolled(signed_in, codes)


def add_key_options(
    uow: UnitOfWork, keyring: Keyring, user_id: int, rp: RelyingParty, *, now: datetime
) -> str:
    user = _signed_in_user(uow, user_id)
    return registration_options(uow, keyring, user, rp, now=now)


def add_key(
    uow: UnitOfWork,
    keyring: Keyring,
    user_id: int,
    credential: str,
    name: str,
    rp: RelyingParty,
    *,
    source: str,
    now: datetime,
) -> str:
    """Another security key for a signed-in person; its name."""
    user = _signed_in_user(uow, user_id)
    try:
        factor = register_key(uow, keyring, user, credential, name, rp, now=now, source=source)
    except InputError:
        uow.commit()  # the challenge is used up, right or wrong
        raise
    return factor.name


def _signed_in_user(uow: UnitOfWork, user_id: int) -> StaffUser:
    user = uow.accounts.user(user_id)
    if user is None or not user.active:
        raise SignInExpired()
    return user
