"""What every member of staff does for themselves: change their password, see their
recent sign-ins (from the audit trail: when, what happened, and from which address)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from argon2.exceptions import InvalidHashError, VerificationError

from codeservice.crypto.keyring import Keyring
from codeservice.domain.accounts import check_password
from codeservice.domain.audit import AuditTag
from codeservice.domain.retention import REDACTED
from codeservice.errors import InputError, NotFound
from codeservice.services.operations import audit
from codeservice.services.staff.accounts import hasher
from codeservice.storage.uow import UnitOfWork

RECENT_SIGN_INS = 10
_OUTCOMES = {
    AuditTag.STAFF_SESSION_SIGN_IN: "Signed in",
    AuditTag.STAFF_SESSION_SIGN_IN_FAIL: "Refused: wrong password",
    AuditTag.STAFF_SESSION_SIGN_IN_REFUSE: "Refused: too many attempts",
    AuditTag.STAFF_ACCOUNT_LOCK: "Account locked",
}
_REASONS = {
    "disabled": "Refused: account disabled",
    "locked": "Refused: account locked",
    "wrong_second_factor": "Refused: wrong code or security key",
}


@dataclass(frozen=True)
class SignInEvent:
    at: datetime
    outcome: str
    address: str  # "" when retention has removed it


def recent_sign_ins(uow: UnitOfWork, username: str) -> list[SignInEvent]:
    actions = [str(action) for action in _OUTCOMES]
    rows = uow.audit.sign_ins_of(username, actions, limit=RECENT_SIGN_INS)
    events = []
    for row in rows:
        reason = json.loads(row.details).get("reason")
        outcome = _REASONS.get(str(reason)) or _OUTCOMES[AuditTag(row.action)]
        address = "" if row.source == REDACTED else row.source
        events.append(SignInEvent(at=row.at, outcome=outcome, address=address))
    return events


def change_own_password(
    uows: Callable[[], UnitOfWork],
    keyring: Keyring,
    user_id: int,
    *,
    current: str,
    new: str,
    again: str,
    source: str,
    now: datetime,
) -> int:
    """Check the current password, then set the new one (same policy as every password).

    Every other session of the account ends; the new session epoch is returned so the
    caller can keep its own session. Two transactions from ``uows``: Argon2 (slow on
    purpose) checks and hashes between them, outside any.
    """
    with uows() as uow:
        user = uow.accounts.user(user_id)
        if user is None:
            raise NotFound("there is no such staff account")
        username, display_name, seen_hash = user.name, user.display_name, user.password_hash
    if not current:
        raise InputError("enter your current password", field="current_password")
    if not _verify(seen_hash, current):
        raise InputError("your current password is not right", field="current_password")
    if not new:
        raise InputError("enter a new password", field="new_password")
    check_password(new, username=username, display_name=display_name)
    if new != again:
        raise InputError("the two new passwords do not match", field="new_password_again")
    if new == current:
        raise InputError(
            "the new password must be different from the current one", field="new_password"
        )
    password_hash = hasher.hash(new)
    with uows() as uow:
        user = uow.accounts.user(user_id)
        if user is None or user.password_hash != seen_hash:
            raise InputError(
                "your password was changed meanwhile; sign in again", field="current_password"
            )
        user.password_hash = password_hash
        user.password_changed_at = now
        user.session_epoch += 1
        epoch = user.session_epoch
        audit.event(
            uow,
            keyring,
            AuditTag.STAFF_USER_CHANGE_PASSWORD,
            actor=f"user:{username}",
            source=source,
            now=now,
            username=username,
        )
        uow.commit()
    return epoch


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
