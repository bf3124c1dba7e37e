"""Authenticator apps (TOTP): setting one up, and checking its codes.

Setting up: a new key is made and kept, sealed, as the account's waiting challenge
until a code from the app confirms it (so a key mistyped into the app is never kept);
then it becomes a factor, its key still sealed by the keyring and bound to the account.
A code is checked against the window around ``now`` and never for a step already used
(``domain.second_factors``); the step used is recorded by a conditional update, so two
requests with the same code cannot both pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp

from codeservice.crypto.keyring import Keyring
from codeservice.domain.second_factors import (
    FactorKind,
    clean_totp_code,
    factor_name,
    grouped_key,
    matching_step,
)
from codeservice.errors import InputError, NotFound
from codeservice.services.staff.second_factors import add_factor
from codeservice.storage.models import FactorChallenge, SecondFactor, StaffUser
from codeservice.storage.uow import UnitOfWork

ISSUER = "Provider Direct access codes"
TOTP_SETUP = "totp-setup"
SETUP_LIFETIME = timedelta(minutes=30)


@dataclass(frozen=True)
class TotpSetup:
    key: str  # base32: shown to the person once, never logged
    uri: str  # otpauth://, for the QR code

    @property
    def grouped(self) -> str:
        return grouped_key(self.key)


def totp_context(user_id: int, purpose: str = "totp-key") -> bytes:
    return f"codeservice/v1/staff-{purpose}/{user_id}".encode()


def setup_totp(
    uow: UnitOfWork, keyring: Keyring, user_id: int, *, fresh: bool = False, now: datetime
) -> TotpSetup:
    """The key waiting to be confirmed (a new one, kept in ``uow``, if there is none, or
    ``fresh``)."""
    user = _user(uow, user_id)
    waiting = uow.second_factors.challenge(user.id, TOTP_SETUP)
    if waiting is not None and waiting.expires_at > now and not fresh:
        key = keyring.open(waiting.sealed, context=_setup_context(user.id)).decode()
    else:
        key = pyotp.random_base32()
        challenge = FactorChallenge(
            user_id=user.id,
            purpose=TOTP_SETUP,
            sealed=keyring.seal(key.encode(), context=_setup_context(user.id)),
            created_at=now,
            expires_at=now + SETUP_LIFETIME,
        )
        uow.second_factors.put_challenge(challenge)
    return TotpSetup(key, pyotp.TOTP(key).provisioning_uri(name=user.name, issuer_name=ISSUER))


def confirm_totp(
    uow: UnitOfWork,
    keyring: Keyring,
    user: StaffUser,
    code: str,
    name: str,
    *,
    now: datetime,
    source: str,
) -> SecondFactor:
    """Check ``code`` against the waiting key and make it a factor, in ``uow``
    (``InputError`` on the ``code`` field when it does not match)."""
    waiting = uow.second_factors.challenge(user.id, TOTP_SETUP)
    if waiting is None or waiting.expires_at <= now:
        raise InputError("the key has expired: scan the new QR code", field="code")
    key = keyring.open(waiting.sealed, context=_setup_context(user.id)).decode()
    step = _step_of(key, code, now, None)
    taken = [f.name for f in uow.second_factors.factors_of(user.id)]
    factor = SecondFactor(
        user_id=user.id,
        kind=FactorKind.TOTP.value,
        name=factor_name(name, FactorKind.TOTP, taken),
        totp_key_sealed=keyring.seal(key.encode(), context=totp_context(user.id)),
        last_totp_step=step,
        sign_count=0,
        created_at=now,
        last_used_at=now,
    )
    uow.second_factors.take_challenge(user.id, TOTP_SETUP)
    return add_factor(uow, keyring, user, factor, source=source, now=now)


def use_totp_code(
    uow: UnitOfWork, keyring: Keyring, user: StaffUser, code: str, now: datetime
) -> SecondFactor | None:
    """The app factor whose code this is (its step now used), or None."""
    for factor in uow.second_factors.factors_of(user.id):
        if factor.kind != FactorKind.TOTP or factor.totp_key_sealed is None:
            continue
        key = keyring.open(factor.totp_key_sealed, context=totp_context(user.id))
        try:
            step = _step_of(key.decode(), code, now, factor.last_totp_step)
        except InputError:
            continue
        if uow.second_factors.use_totp_step(factor.id, step, now):
            return factor
    return None


def _step_of(key: str, code: str, now: datetime, last_used_step: int | None) -> int:
    digits = clean_totp_code(code)
    if digits is None:
        raise InputError("enter the 6-digit code from your authenticator app", field="code")
    totp = pyotp.TOTP(key)
    step = matching_step(digits, now, last_used_step, totp.generate_otp)
    if step is None:
        raise InputError("the code is not right: enter the code your app shows now", field="code")
    return step


def _setup_context(user_id: int) -> bytes:
    return totp_context(user_id, TOTP_SETUP)


def _user(uow: UnitOfWork, user_id: int) -> StaffUser:
    user = uow.accounts.user(user_id)
    if user is None:
        raise NotFound("there is no such staff account")
    return user
