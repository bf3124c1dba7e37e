"""A member of staff's second factors: listing, removing, recovery codes, and an
administrator's reset.

A recovery code is kept only as a keyed hash (HMAC-SHA256 under the keyring's
fingerprint key, bound to the account), so the table cannot be read back into codes and
a guess cannot be checked without the key file. A person keeps at least one factor;
an administrator's reset takes every factor and code away, and the person enrols again
at their next sign-in. API tokens are not touched. Every change is audited, never a
key or a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.domain.codes import SYSTEM_RANDOM
from codeservice.domain.second_factors import (
    FactorKind,
    can_remove,
    clean_recovery_code,
    new_recovery_codes,
)
from codeservice.errors import Conflict, NotFound
from codeservice.services.operations import audit
from codeservice.services.staff.accounts import existing_user
from codeservice.storage.models import RecoveryCode, SecondFactor, StaffUser
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class FactorView:
    id: int
    kind: FactorKind
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class FactorsOverview:
    factors: list[FactorView]
    recovery_codes_left: int


def overview(uow: UnitOfWork, user_id: int) -> FactorsOverview:
    return _overview(uow, user_id)


def overview_of(uow: UnitOfWork, name: str) -> FactorsOverview:
    """An account's factors, by its name (the administrator's page)."""
    return _overview(uow, existing_user(uow, name).id)


def has_factor(uow: UnitOfWork, user_id: int) -> bool:
    return uow.second_factors.factor_count(user_id) > 0


def _overview(uow: UnitOfWork, user_id: int) -> FactorsOverview:
    factors = [
        FactorView(f.id, FactorKind(f.kind), f.name, f.created_at, f.last_used_at)
        for f in uow.second_factors.factors_of(user_id)
    ]
    return FactorsOverview(factors, uow.second_factors.recovery_codes_left(user_id))


def add_factor(
    uow: UnitOfWork,
    keyring: Keyring,
    user: StaffUser,
    factor: SecondFactor,
    *,
    source: str,
    now: datetime,
) -> SecondFactor:
    """Keep a newly set-up factor (an app or a key) and audit it, without its secret."""
    uow.second_factors.add_factor(factor)
    audit.event(
        uow,
        keyring,
        AuditTag.STAFF_FACTOR_ENROL,
        actor=f"user:{user.name}",
        source=source,
        now=now,
        username=user.name,
        kind=factor.kind,
        factor=factor.name,
    )
    return factor


def remove_factor(
    uow: UnitOfWork, keyring: Keyring, user_id: int, factor_id: int, *, source: str, now: datetime
) -> str:
    """Remove one of the person's own factors (not the last); the removed one's name."""
    user = _user(uow, user_id)
    factors = uow.second_factors.factors_of(user.id)
    found = [f for f in factors if f.id == factor_id]
    if not found:
        raise NotFound("there is no such second factor on your account")
    if not can_remove(len(factors)):
        raise Conflict("you cannot remove your only second factor: add another one first")
    factor = found[0]
    uow.second_factors.remove_factor(factor)
    audit.event(
        uow,
        keyring,
        AuditTag.STAFF_FACTOR_REMOVE,
        actor=f"user:{user.name}",
        source=source,
        now=now,
        username=user.name,
        kind=factor.kind,
        factor=factor.name,
    )
    return factor.name


def replace_recovery_codes(
    uow: UnitOfWork, keyring: Keyring, user_id: int, *, source: str, now: datetime
) -> list[str]:
    """A new set of recovery codes, shown once; the old ones stop working."""
    user = _user(uow, user_id)
    if uow.second_factors.factor_count(user.id) == 0:
        raise Conflict("set up a second factor first")
    return issue_recovery_codes(uow, keyring, user, source=source, now=now)


def issue_recovery_codes(
    uow: UnitOfWork, keyring: Keyring, user: StaffUser, *, source: str, now: datetime
) -> list[str]:
    """Make the account's new recovery codes in ``uow`` (audited by count only)."""
    codes = new_recovery_codes(SYSTEM_RANDOM)
    rows = [
        RecoveryCode(
            user_id=user.id,
            digest=recovery_digest(keyring, user.id, code),
            created_at=now,
            used_at=None,
        )
        for code in codes
    ]
    uow.second_factors.replace_recovery_codes(user.id, rows)
    audit.event(
        uow,
        keyring,
        AuditTag.STAFF_FACTOR_RECOVERY_CODES,
        actor=f"user:{user.name}",
        source=source,
        now=now,
        username=user.name,
        count=len(codes),
    )
    return codes


def recovery_digest(keyring: Keyring, user_id: int, typed: str) -> bytes:
    """The keyed hash a recovery code is kept as (or b"" for what cannot be a code)."""
    raw = clean_recovery_code(typed)
    if raw is None:
        return b""
    return keyring.fingerprint(f"staff-recovery-code/{user_id}/{raw}")


def reset_second_factors(
    uow: UnitOfWork, keyring: Keyring, name: str, *, actor: str, source: str, now: datetime
) -> int:
    """An administrator (or the CLI) takes away every factor and recovery code of an
    account; its sessions end, and it enrols again at its next sign-in. The number of
    factors removed."""
    user = existing_user(uow, name)
    removed = uow.second_factors.delete_factors(user.id)
    codes = uow.second_factors.delete_recovery_codes(user.id)
    uow.second_factors.delete_challenges(user.id)
    user.session_epoch += 1
    audit.event(
        uow,
        keyring,
        AuditTag.STAFF_FACTOR_RESET,
        actor=actor,
        source=source,
        now=now,
        username=user.name,
        factors_removed=removed,
        recovery_codes_removed=codes,
    )
    return removed


def _user(uow: UnitOfWork, user_id: int) -> StaffUser:
    user = uow.accounts.user(user_id)
    if user is None:
        raise NotFound("there is no such staff account")
    return user
