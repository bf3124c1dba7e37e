"""Set-password links: how a new account gets its first password and a reset its next.

The administrator never sees or types the password. A link goes to the account's own
email address through the outbox; it works once, for ``LINK_LIFETIME``, and only its
token's SHA-256 digest is kept. A newer link replaces every older one of the account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from codeservice.crypto.keyring import Keyring
from codeservice.domain.accounts import Role, check_password
from codeservice.domain.audit import AuditTag
from codeservice.domain.email_address import normalise_email
from codeservice.domain.tokens import issue_token, looks_like_token, token_digest
from codeservice.domain.wording import moment_text
from codeservice.emails import render
from codeservice.errors import CodeserviceError, Conflict, InputError
from codeservice.services.mail import Mailroom, queue_email
from codeservice.services.operations import audit
from codeservice.services.staff.account_changes import change_account, put_new_password
from codeservice.services.staff.accounts import StaffUserView, add_user, existing_user, hasher
from codeservice.storage.models import StaffPasswordLink, StaffUser
from codeservice.storage.uow import UnitOfWork

LINK_LIFETIME = timedelta(hours=24)
SET_PASSWORD_PATH = "/set-password/"  # noqa: S105 (a path)


class PasswordLinkProblem(CodeserviceError):
    """A set-password link that cannot be used: unknown, used, replaced or expired."""

    status_code = 410

    def __init__(self, message: str, *, status_code: int = 410) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class LinkHolder:
    username: str
    display_name: str | None


def add_account(
    uow: UnitOfWork,
    mailroom: Mailroom,
    name: str,
    *,
    role: Role,
    display_name: str | None,
    email: str,
    actor: str,
    source: str,
    now: datetime,
) -> StaffUserView:
    """A new account with no usable password, and a link to set one sent to ``email``,
    in ``uow``."""
    if not email.strip():
        raise InputError("enter the person's email address", field="email")
    view = add_user(
        uow,
        mailroom.keyring,
        name,
        role=role,
        password=None,
        display_name=display_name,
        email=email,
        actor=actor,
        source=source,
        now=now,
    )
    user = existing_user(uow, view.name)
    _send_link(uow, mailroom, user, actor, source, new_account=True, now=now)
    return view


def set_email(
    uow: UnitOfWork,
    keyring: Keyring,
    name: str,
    email: str,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    """Where the account's set-password links go from now on."""
    address = normalise_email(email.strip())
    if address is None:
        raise InputError("enter an email address like name@example.gov.uk", field="email")

    def set_address(uow: UnitOfWork, user: StaffUser) -> None:
        user.email = address

    tag = AuditTag.STAFF_USER_EMAIL
    change_account(uow, keyring, name, tag, set_address, actor=actor, source=source, now=now)


def send_reset_link(
    uow: UnitOfWork, mailroom: Mailroom, name: str, *, actor: str, source: str, now: datetime
) -> str:
    """The old password stops working and the account's sessions end; a link to set a new
    one goes to the account's email address, which is returned."""
    user = existing_user(uow, name)
    if not user.email:
        raise Conflict(f"{user.name} has no email address to send a link to: add one on this page")
    if not user.active:
        raise Conflict(f"{user.name} is disabled: enable it first")
    user.password_hash = hasher.hash(issue_token().token)  # nobody knows it
    user.session_epoch += 1
    _send_link(uow, mailroom, user, actor, source, new_account=False, now=now)
    return user.email


def link_holder(uow: UnitOfWork, token: str, *, now: datetime) -> LinkHolder:
    """Whose password a usable link sets; ``PasswordLinkProblem`` otherwise."""
    user = _usable(uow, token, now).user_id
    account = uow.accounts.user(user)
    assert account is not None
    return LinkHolder(account.name, account.display_name)


def set_password_by_link(
    uows: Callable[[], UnitOfWork],
    keyring: Keyring,
    token: str,
    password: str,
    again: str,
    *,
    source: str,
    now: datetime,
) -> str:
    """Set the password the link is for, once; clears any sign-in lock. The username.

    Two transactions from ``uows``: the password is checked and hashed (Argon2, slow on
    purpose) between them, outside any."""
    with uows() as uow:
        holder = link_holder(uow, token, now=now)
    if not password:
        raise InputError("enter a password", field="password")
    check_password(password, username=holder.username, display_name=holder.display_name)
    if password != again:
        raise InputError("the two passwords do not match", field="password_again")
    password_hash = hasher.hash(password)
    with uows() as uow:
        link = _usable(uow, token, now)
        user = uow.accounts.user(link.user_id)
        assert user is not None
        link.used_at = now
        put_new_password(uow, keyring, user, password_hash, now=now)
        audit.event(
            uow,
            keyring,
            AuditTag.STAFF_USER_SET_PASSWORD,
            actor=f"user:{user.name}",
            source=source,
            now=now,
            username=user.name,
        )
        username = user.name
        uow.commit()
    return username


def _usable(uow: UnitOfWork, token: str, now: datetime) -> StaffPasswordLink:
    link = None
    if looks_like_token(token):
        link = uow.accounts.password_link_by_digest(token_digest(token))
    if link is None:
        raise PasswordLinkProblem("This link is not valid", status_code=404)
    if link.used_at is not None:
        raise PasswordLinkProblem("This link has already been used")
    if link.replaced_at is not None:
        raise PasswordLinkProblem("A newer link has been sent: this one no longer works")
    if link.expires_at <= now:
        raise PasswordLinkProblem("This link has expired")
    return link


def _send_link(
    uow: UnitOfWork,
    mailroom: Mailroom,
    user: StaffUser,
    actor: str,
    source: str,
    *,
    new_account: bool,
    now: datetime,
) -> None:
    assert user.email is not None
    issued = issue_token()
    uow.accounts.replace_password_links(user.id, now)
    link = StaffPasswordLink(
        digest=issued.digest, user_id=user.id, created_at=now, expires_at=now + LINK_LIFETIME
    )
    uow.accounts.add_password_link(link)
    rendered = render(
        "set_password",
        {
            "name": user.display_name or user.name,
            "username": user.name,
            "new_account": new_account,
            "link": f"{mailroom.base_url}{SET_PASSWORD_PATH}{issued.token}",
            "expires": moment_text(link.expires_at, mailroom.tz),
            "security_mailbox": mailroom.security_mailbox,
        },
    )
    queue_email(
        uow,
        mailroom.postbox,
        rendered,
        to_name=user.display_name or user.name,
        to_email=user.email,
        dedupe_key=f"staff-password-link:{link.id}",
        category="staff-password-link",
        now=now,
    )
    audit.event(
        uow,
        mailroom.keyring,
        AuditTag.STAFF_USER_PASSWORD_LINK,
        actor=actor,
        source=source,
        now=now,
        username=user.name,
        new_account=new_account,
    )
