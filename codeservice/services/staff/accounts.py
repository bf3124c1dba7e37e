"""Staff accounts: adding them, listing them, roles, disabling, password resets, unlocking.

The last active administrator can be neither disabled nor given another role.

Passwords are hashed with Argon2id (argon2-cffi's defaults). Each change is audited
with the person who made it; no password or hash ever reaches the audit trail.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role, SignInState, check_password, normalise_username
from codeservice.domain.audit import AuditTag
from codeservice.domain.email_address import normalise_email
from codeservice.domain.text import check_usable
from codeservice.errors import Conflict, InputError, NotFound
from codeservice.services.operations import audit
from codeservice.services.staff.throttle_keys import name_key
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
    container: Container,
    name: str,
    *,
    role: Role,
    password: str | None,
    display_name: str | None = None,
    email: str | None = None,
    actor: str,
    source: str = "cli",
) -> StaffUserView:
    """Without a password, the account has one nobody knows until a link sets it."""
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
    now = container.now()
    with container.uow() as uow:
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
        audit_staff(
            uow,
            container,
            AuditTag.STAFF_USER_CREATE,
            actor=actor,
            source=source,
            now=now,
            username=username,
            role=role.value,
        )
        view = _view(user)
        uow.commit()
    return view


def list_users(container: Container) -> list[StaffUserView]:
    with container.read_uow() as uow:
        return [_view(user) for user in uow.accounts.all_users()]


def get_user(container: Container, name: str) -> StaffUserView:
    with container.read_uow() as uow:
        return _view(existing_user(uow, name))


def change_account(
    container: Container,
    name: str,
    tag: AuditTag,
    change: Callable[[UnitOfWork, StaffUser], None],
    *,
    actor: str,
    source: str,
) -> None:
    """Make ``change`` to the account and audit it as ``tag``, in one transaction."""
    now = container.now()
    with container.uow() as uow:
        user = existing_user(uow, name)
        change(uow, user)
        audit_staff(uow, container, tag, actor=actor, source=source, now=now, username=user.name)
        uow.commit()


def disable_user(container: Container, name: str, *, actor: str, source: str = "cli") -> None:
    """The account can no longer sign in, and its open sessions end at once."""

    def disable(uow: UnitOfWork, user: StaffUser) -> None:
        if user.active:
            _keep_an_admin(uow, user, "disabled")
        user.active = False
        user.session_epoch += 1

    change_account(
        container, name, AuditTag.STAFF_USER_DISABLE, disable, actor=actor, source=source
    )


def enable_user(container: Container, name: str, *, actor: str, source: str = "cli") -> None:
    def enable(uow: UnitOfWork, user: StaffUser) -> None:
        user.active = True

    change_account(container, name, AuditTag.STAFF_USER_ENABLE, enable, actor=actor, source=source)


def change_role(
    container: Container, name: str, role: Role, *, actor: str, source: str = "cli"
) -> bool:
    """Give an account another role (its sessions end); False when it already had it."""
    now = container.now()
    with container.uow() as uow:
        user = existing_user(uow, name)
        if user.role == role.value:
            return False
        if role is not Role.ADMIN and user.active:
            _keep_an_admin(uow, user, "given another role")
        before, user.role = user.role, role.value
        user.session_epoch += 1
        audit_staff(
            uow,
            container,
            AuditTag.STAFF_USER_ROLE,
            actor=actor,
            source=source,
            now=now,
            username=user.name,
            role=role.value,
            previous_role=before,
        )
        uow.commit()
    return True


def _keep_an_admin(uow: UnitOfWork, user: StaffUser, change: str) -> None:
    if user.role == Role.ADMIN.value and uow.accounts.active_admin_count() <= 1:
        raise Conflict(
            f"{user.name} is the last active administrator and cannot be {change}; "
            "make another account an administrator first"
        )


def reset_password(
    container: Container, name: str, password: str, *, actor: str, source: str = "cli"
) -> None:
    """Set a new password; ends the account's sessions and clears any sign-in lock."""
    with container.uow() as uow:
        user = existing_user(uow, name)
        username, display_name = user.name, user.display_name
    check_password(password, username=username, display_name=display_name)
    password_hash = hasher.hash(password)
    now = container.now()
    with container.uow() as uow:
        user = existing_user(uow, username)
        user.password_hash = password_hash
        user.password_changed_at = now
        user.session_epoch += 1
        user.failed_attempts, user.locked_until = 0, None
        uow.throttles.release_name(name_key(container, user.name), now)
        audit_staff(
            uow,
            container,
            AuditTag.STAFF_USER_RESET_PASSWORD,
            actor=actor,
            source=source,
            now=now,
            username=user.name,
        )
        uow.commit()


def unlock_user(container: Container, name: str, *, actor: str, source: str = "cli") -> bool:
    """Clear a sign-in lock and the failure count; False when the account was not locked."""
    now = container.now()
    with container.uow() as uow:
        user = existing_user(uow, name)
        was_locked = SignInState(user.failed_attempts, user.locked_until).is_locked(now)
        user.failed_attempts, user.locked_until = 0, None
        # the locks on this name from single addresses, too
        was_locked = uow.throttles.release_name(name_key(container, user.name), now) or was_locked
        audit_staff(
            uow,
            container,
            AuditTag.STAFF_ACCOUNT_UNLOCK,
            actor=actor,
            source=source,
            now=now,
            username=user.name,
            was_locked=was_locked,
        )
        uow.commit()
    return was_locked


def audit_staff(
    uow: UnitOfWork,
    container: Container,
    action: AuditTag,
    *,
    actor: str,
    source: str,
    now: datetime,
    **details: Any,
) -> None:
    audit.record(
        uow,
        container.keyring.audit_key,
        actor=actor,
        action=action,
        source=source,
        details=details,
        now=now,
    )


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
