"""Security keys at the second step, at the first sign-in, and from one's own account:
the ceremonies of ``webauthn_factors`` in the transactions and checks of ``second_step``
(a wrong answer counts like a wrong code; the first key gives the recovery codes)."""

from __future__ import annotations

from codeservice.bootstrap import Container
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
from codeservice.services.staff.sign_in_throttle import Attempt
from codeservice.services.staff.webauthn_factors import (
    RelyingParty,
    authentication_options,
    register_key,
    registration_options,
    use_key,
)
from codeservice.storage.models import StaffUser
from codeservice.storage.uow import UnitOfWork


def sign_in_key_options(container: Container, user_id: int, epoch: int, rp: RelyingParty) -> str:
    with container.uow() as uow:
        user = pending_user(uow, user_id, epoch)
        options = authentication_options(container, user, uow, rp)
        uow.commit()
    return options


def second_step_with_key(
    container: Container, user_id: int, epoch: int, credential: str, rp: RelyingParty, *, ip: str
) -> SignedIn:
    """Finish signing in with a security key's answer to the challenge."""

    def check(uow: UnitOfWork, user: StaffUser, attempt: Attempt) -> str | None:
        factor = use_key(uow, container, user, credential, rp, attempt.now)
        return None if factor is None else FactorKind.WEBAUTHN.value

    return finish_second_step(container, user_id, epoch, ip, check)


def set_up_key_options(container: Container, user_id: int, epoch: int, rp: RelyingParty) -> str:
    with container.uow() as uow:
        user = pending_user(uow, user_id, epoch)
        if uow.second_factors.factor_count(user.id) > 0:
            raise Conflict("this account already has a second factor: sign in with it")
        options = registration_options(container, user, uow, rp)
        uow.commit()
    return options


def enrol_key_at_sign_in(
    container: Container,
    user_id: int,
    epoch: int,
    credential: str,
    name: str,
    rp: RelyingParty,
    *,
    ip: str,
) -> Enrolled:
    """The first factor of an account that has none is a security key: the sign-in
    finishes, and the account's recovery codes are made (shown once)."""
    with container.uow() as uow:
        user = pending_user(uow, user_id, epoch, for_update=True)
        if uow.second_factors.factor_count(user.id) > 0:
            raise Conflict("this account already has a second factor: sign in with it")
        attempt = Attempt(uow, container, user.name, user.name, ip)
        attempt.refuse_if_throttled()
        try:
            register_key(uow, container, user, credential, name, rp, now=attempt.now, source=ip)
        except InputError:
            uow.commit()  # the challenge is used up, right or wrong
            raise
        codes = issue_recovery_codes(uow, container, user, attempt.now, source=ip)
        signed_in = complete_sign_in(uow, attempt, container, user, ip, factor="webauthn")
    return Enrolled(signed_in, codes)


def add_key_options(container: Container, user_id: int, rp: RelyingParty) -> str:
    with container.uow() as uow:
        user = _signed_in_user(uow, user_id)
        options = registration_options(container, user, uow, rp)
        uow.commit()
    return options


def add_key(
    container: Container, user_id: int, credential: str, name: str, rp: RelyingParty, *, source: str
) -> str:
    """Another security key for a signed-in person; its name."""
    now = container.now()
    with container.uow() as uow:
        user = _signed_in_user(uow, user_id)
        try:
            factor = register_key(
                uow, container, user, credential, name, rp, now=now, source=source
            )
        except InputError:
            uow.commit()  # the challenge is used up, right or wrong
            raise
        uow.commit()
        return factor.name


def _signed_in_user(uow: UnitOfWork, user_id: int) -> StaffUser:
    user = uow.accounts.user(user_id)
    if user is None or not user.active:
        raise SignInExpired()
    return user
