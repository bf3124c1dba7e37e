"""Changes to a staff account: roles, disabling and enabling, password resets, unlocking.

The last active administrator can be neither disabled nor given another role. Each
change is audited with the person who made it; no password or hash reaches the trail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from codeservice.crypto.keyring import Keyring
from codeservice.domain.accounts import Role, SignInState, check_password
from codeservice.domain.audit import AuditTag
from codeservice.errors import Conflict
from codeservice.services.operations import audit
from codeservice.services.staff.accounts import existing_user, hasher
from codeservice.services.staff.throttle_keys import name_key
from codeservice.storage.models import StaffUser
from codeservice.storage.uow import UnitOfWork


def change_account(
    uow: UnitOfWork,
    keyring: Keyring,
    name: str,
    tag: AuditTag,
    change: Callable[[UnitOfWork, StaffUser], None],
    *,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    """Make ``change`` to the account and audit it as ``tag``, in ``uow``."""
    user = existing_user(uow, name)
    change(uow, user)
    audit.event(uow, keyring, tag, actor=actor, source=source, now=now, username=user.name)


def disable_user(
    uow: UnitOfWork,
    keyring: Keyring,
    name: str,
    *,
    actor: str,
    source: str = "cli",
    now: datetime,
) -> None:
    """The account can no longer sign in, and its open sessions end at once."""

    def disable(uow: UnitOfWork, user: StaffUser) -> None:
        if user.active:
            _keep_an_admin(uow, user, "disabled")
        user.active = False
        user.session_epoch += 1

    change_account(
        uow,
        keyring,
        name,
        AuditTag.STAFF_USER_DISABLE,
        disable,
        actor=actor,
        source=source,
        now=now,
    )


def enable_user(
    uow: UnitOfWork,
    keyring: Keyring,
    name: str,
    *,
    actor: str,
    source: str = "cli",
    now: datetime,
) -> None:
    def enable(uow: UnitOfWork, user: StaffUser) -> None:
        user.active = True

    change_account(
        uow, keyring, name, AuditTag.STAFF_USER_ENABLE, enable, actor=actor, source=source, now=now
    )


def change_role(
    uow: UnitOfWork,
    keyring: Keyring,
    name: str,
    role: Role,
    *,
    actor: str,
    source: str = "cli",
    now: datetime,
) -> bool:
    """Give an account another role (its sessions end); False when it already had it."""
    user = existing_user(uow, name)
    if user.role == role.value:
        return False
    if role is not Role.ADMIN and user.active:
        _keep_an_admin(uow, user, "given another role")
    before, user.role = user.role, role.value
    user.session_epoch += 1
    audit.event(
        uow,
        keyring,
        AuditTag.STAFF_USER_ROLE,
        actor=actor,
        source=source,
        now=now,
        username=user.name,
        role=role.value,
        previous_role=before,
    )
    return True


def _keep_an_admin(uow: UnitOfWork, user: StaffUser, change: str) -> None:
    if user.role == Role.ADMIN.value and uow.accounts.active_admin_count() <= 1:
        raise Conflict(
            f"{user.name} is the last active administrator and cannot be {change}; "
            "make another account an administrator first"
        )


def reset_password(
    uows: Callable[[], UnitOfWork],
    keyring: Keyring,
    name: str,
    password: str,
    *,
    actor: str,
    source: str = "cli",
    now: datetime,
) -> None:
    """Set a new password; ends the account's sessions and clears any sign-in lock.

    Two transactions from ``uows``: the account is read, the password checked and
    hashed (Argon2, slow on purpose) outside any, and then set."""
    with uows() as uow:
        user = existing_user(uow, name)
        username, display_name = user.name, user.display_name
    check_password(password, username=username, display_name=display_name)
    password_hash = hasher.hash(password)
    with uows() as uow:
        user = existing_user(uow, username)
        put_new_password(uow, keyring, user, password_hash, now=now)
        audit.event(
            uow,
            keyring,
            AuditTag.STAFF_USER_RESET_PASSWORD,
            actor=actor,
            source=source,
            now=now,
            username=user.name,
        )
        uow.commit()


def put_new_password(
    uow: UnitOfWork, keyring: Keyring, user: StaffUser, password_hash: str, *, now: datetime
) -> None:
    """A password set for someone (reset, or from a link) ends the account's sessions
    and lifts its sign-in lock and the throttles on its name."""
    user.password_hash = password_hash
    user.password_changed_at = now
    user.session_epoch += 1
    user.failed_attempts, user.locked_until = 0, None
    uow.throttles.release_name(name_key(keyring, user.name), now)


def unlock_user(
    uow: UnitOfWork,
    keyring: Keyring,
    name: str,
    *,
    actor: str,
    source: str = "cli",
    now: datetime,
) -> bool:
    """Clear a sign-in lock and the failure count; False when the account was not locked."""
    user = existing_user(uow, name)
    was_locked = SignInState(user.failed_attempts, user.locked_until).is_locked(now)
    user.failed_attempts, user.locked_until = 0, None
    # the locks on this name from single addresses, too
    was_locked = uow.throttles.release_name(name_key(keyring, user.name), now) or was_locked
    audit.event(
        uow,
        keyring,
        AuditTag.STAFF_ACCOUNT_UNLOCK,
        actor=actor,
        source=source,
        now=now,
        username=user.name,
        was_locked=was_locked,
    )
    return was_locked
