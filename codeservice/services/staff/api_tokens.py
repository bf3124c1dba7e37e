"""API tokens for machines (the helpline's telephony or CRM), sent as ``Authorization: Bearer``.

A token is ``cs_<prefix>_<secret>``: shown once when made, kept only as its SHA-256
digest (32 random bytes need no slow hash). The short ``prefix`` is kept in the clear
so that a token found in a log or a repository can be named and revoked.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from codeservice.crypto.keyring import Keyring
from codeservice.domain.accounts import Principal, Role, normalise_username
from codeservice.domain.audit import AuditTag
from codeservice.domain.tokens import token_digest
from codeservice.errors import Conflict, NotFound
from codeservice.services.operations import audit
from codeservice.storage.models import ApiToken
from codeservice.storage.uow import UnitOfWork

TOKEN_START = "cs_"  # noqa: S105 (the marker every token starts with)
_TOKEN_SHAPE = re.compile(r"cs_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")
_NOTE_USE_EVERY = timedelta(minutes=1)  # last_used_at is a hint, not a write per request


@dataclass(frozen=True)
class ApiTokenView:
    name: str
    role: str
    prefix: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def shown(self) -> str:
        return f"{TOKEN_START}{self.prefix}_…"

    def as_dict(self) -> dict[str, Any]:
        return {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
        }


@dataclass(frozen=True)
class CreatedToken:
    token: str  # printed once, never stored or logged
    view: ApiTokenView


def create_token(
    uow: UnitOfWork,
    keyring: Keyring,
    name: str,
    *,
    role: Role,
    actor: str,
    source: str = "cli",
    now: datetime,
) -> CreatedToken:
    token_name = normalise_username(name, what="token name")
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    if uow.accounts.live_token_named(token_name) is not None:
        raise Conflict(
            f"a token named {token_name!r} is in use; revoke it first "
            f"(codeservice tokens revoke {token_name}) or choose another name"
        )
    row = ApiToken(
        name=token_name,
        role=role.value,
        digest=token_digest(token),
        prefix=prefix,
        created_at=now,
        created_by=actor,
    )
    uow.accounts.add_token(row)
    audit.event(
        uow,
        keyring,
        AuditTag.API_TOKEN_CREATE,
        actor=actor,
        source=source,
        now=now,
        token=token_name,
        role=role.value,
        prefix=prefix,
    )
    return CreatedToken(token=token, view=_view(row))


def list_tokens(uow: UnitOfWork, *, include_revoked: bool = False) -> list[ApiTokenView]:
    rows = uow.accounts.all_tokens()
    return [_view(row) for row in rows if include_revoked or row.revoked_at is None]


def revoke_token(
    uow: UnitOfWork, keyring: Keyring, name: str, *, actor: str, source: str = "cli", now: datetime
) -> None:
    token_name = normalise_username(name, what="token name")
    row = uow.accounts.live_token_named(token_name)
    if row is None:
        raise NotFound(
            f"there is no live token named {token_name!r}; see `codeservice tokens list`"
        )
    row.revoked_at = now
    audit.event(
        uow,
        keyring,
        AuditTag.API_TOKEN_REVOKE,
        actor=actor,
        source=source,
        now=now,
        token=row.name,
        prefix=row.prefix,
    )


def token_principal(
    reading: Callable[[], UnitOfWork],
    writing: Callable[[], UnitOfWork],
    presented: str,
    *,
    now: datetime,
) -> Principal | None:
    """The machine a Bearer token belongs to, or None if it is unknown or revoked: read in
    a unit of work from ``reading``; its use noted now and then in one from ``writing``
    (``container.read_uow``, ``container.uow``), so most requests never write."""
    if not _TOKEN_SHAPE.fullmatch(presented):
        return None
    with reading() as uow:
        row = uow.accounts.live_token(token_digest(presented))
        if row is None:
            return None
        principal = Principal(kind="token", name=row.name, role=Role(row.role))
        note_use = _note_due(row.last_used_at, now)
        token_id = row.id
    if note_use:
        with writing() as uow:
            uow.accounts.note_token_used(token_id, now)
            uow.commit()
    return principal


def token_principal_in(uow: UnitOfWork, presented: str, *, now: datetime) -> Principal | None:
    """``token_principal`` inside the caller's write transaction (a route whose use case
    writes anyway: one transaction for the check and the work); ``last_used_at`` is
    noted in it, so it is kept only if the caller commits."""
    if not _TOKEN_SHAPE.fullmatch(presented):
        return None
    row = uow.accounts.live_token(token_digest(presented))
    if row is None:
        return None
    if _note_due(row.last_used_at, now):
        uow.accounts.note_token_used(row.id, now)
    return Principal(kind="token", name=row.name, role=Role(row.role))


def _note_due(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= _NOTE_USE_EVERY


def _view(row: ApiToken) -> ApiTokenView:
    return ApiTokenView(
        name=row.name,
        role=row.role,
        prefix=row.prefix,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
