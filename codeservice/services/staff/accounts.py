"""Staff accounts: adding them and listing them (their changes: ``account_changes``).

Passwords are hashed with Argon2id (argon2-cffi's defaults). Each change is audited
with the person who made it; no password or hash ever reaches the audit trail.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher

from codeservice.crypto.keyring import Keyring
from codeservice.domain.accounts import Role, check_password, normalise_username
from codeservice.domain.audit import AuditTag
from codeservice.domain.email_address import normalise_email
from codeservice.domain.text import check_usable
from codeservice.errors import Conflict, InputError, NotFound
from codeservice.services.operations import audit
from codeservice.storage.models import StaffUser
from codeservice.storage.uow import UnitOfWork

hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters

MAX_DISPLAY_NAME = 255  # the column's size


@dataclass(frozen=True)
class StaffUserView:
    """An account as the CLI lists it: never its password hash."""

    name: str
    display_name: str | None
    email: str | None
    role: str
    active: bool
    created_at: datetime
    password_changed_at: datetime
    last_sign_in_at: datetime | None
    failed_attempts: int
    locked_until: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
        }


def add_user(
    uow: UnitOfWork,
    keyring: Keyring,
    name: str,
    *,
    role: Role,
    password: str | None,
    display_name: str | None = None,
    email: str | None = None,
    actor: str,
    source: str = "cli",
    now: datetime,
) -> StaffUserView:
    """Without a password, the account has one nobody knows until a link sets it. The
    password is hashed before ``uow`` is first used, so no transaction waits on Argon2."""
    username = normalise_username(name)
    display_name = (display_name or "").strip() or None
    if display_name and len(display_name) > MAX_DISPLAY_NAME:
        raise InputError(
            f"the display name must be {MAX_DISPLAY_NAME} characters or fewer",
            field="display_name",
        )
    if display_name:
        check_usable(display_name, field="display_name", label="the display name")
    address = None
    if email is not None and email.strip():
        address = normalise_email(email.strip())
        if address is None:
            raise InputError("enter an email address like name@example.gov.uk", field="email")
    if password is None:
        password = secrets.token_urlsafe(32)  # never shown, never kept
    else:
        check_password(password, username=username, display_name=display_name)
    password_hash = hasher.hash(password)
    if uow.accounts.user_named(username) is not None:
        raise Conflict(f"there is already a staff account named {username!r}")
    user = StaffUser(
        name=username,
        display_name=display_name,
        email=address,
        role=role.value,
        password_hash=password_hash,
        active=True,
        created_at=now,
        password_changed_at=now,
        failed_attempts=0,
        session_epoch=0,
    )
    uow.accounts.add_user(user)
    audit.event(
        uow,
        keyring,
        AuditTag.STAFF_USER_CREATE,
        actor=actor,
        source=source,
        now=now,
        username=username,
        role=role.value,
    )
    return _view(user)


def list_users(uow: UnitOfWork) -> list[StaffUserView]:
    return [_view(user) for user in uow.accounts.all_users()]


def get_user(uow: UnitOfWork, name: str) -> StaffUserView:
    return _view(existing_user(uow, name))


def existing_user(uow: UnitOfWork, name: str) -> StaffUser:
    username = normalise_username(name)
    user = uow.accounts.user_named(username)
    if user is None:
        raise NotFound(
            f"there is no staff account named {username!r}; see the list of staff accounts"
        )
    return user


def _view(user: StaffUser) -> StaffUserView:
    return StaffUserView(
        name=user.name,
        display_name=user.display_name,
        email=user.email,
        role=user.role,
        active=user.active,
        created_at=user.created_at,
        password_changed_at=user.password_changed_at,
        last_sign_in_at=user.last_sign_in_at,
        failed_attempts=user.failed_attempts,
        locked_until=user.locked_until,
    )
