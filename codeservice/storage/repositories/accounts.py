from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from codeservice.storage.models import ApiToken, StaffPasswordLink, StaffUser

# Every API request looks its token up: built once (building it cost as much as running it).
# On the table's columns, not the model's: run as plain Core, without the ORM's work.
_TOKENS = cast(Table, ApiToken.__table__)
_LIVE_TOKEN = select(_TOKENS.c.id, _TOKENS.c.name, _TOKENS.c.role, _TOKENS.c.last_used_at).where(
    _TOKENS.c.digest == bindparam("digest"), _TOKENS.c.revoked_at.is_(None)
)


@dataclass(frozen=True)
class LiveToken:
    """What checking a presented API token needs of its row: read on every API request,
    as a plain row (loading the ORM object cost more than the query)."""

    id: int
    name: str
    role: str
    last_used_at: datetime | None


class AccountRepository:
    """Staff accounts and API tokens."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_user(self, user: StaffUser) -> None:
        self.session.add(user)
        self.session.flush()

    def user(self, user_id: int) -> StaffUser | None:
        return self.session.get(StaffUser, user_id)

    def user_named(self, name: str, *, for_update: bool = False) -> StaffUser | None:
        """``for_update`` holds the row until commit, so concurrent sign-in failures all count.

        (SQLite needs no row lock: every transaction starts with BEGIN IMMEDIATE.)
        """
        query = select(StaffUser).where(StaffUser.name == name)
        if for_update:
            query = query.with_for_update()
        return self.session.scalar(query)

    def all_users(self) -> list[StaffUser]:
        return list(self.session.scalars(select(StaffUser).order_by(StaffUser.name)))

    def active_admin_count(self) -> int:
        query = select(func.count()).select_from(StaffUser)
        query = query.where(StaffUser.role == "admin", StaffUser.active.is_(True))
        return self.session.scalar(query) or 0

    def add_password_link(self, link: StaffPasswordLink) -> None:
        self.session.add(link)
        self.session.flush()

    def password_link_by_digest(self, digest: bytes) -> StaffPasswordLink | None:
        query = select(StaffPasswordLink).where(StaffPasswordLink.digest == digest)
        return self.session.scalar(query)

    def replace_password_links(self, user_id: int, now: datetime) -> None:
        """Every unused link of the account stops working."""
        self.session.execute(
            update(StaffPasswordLink)
            .where(
                StaffPasswordLink.user_id == user_id,
                StaffPasswordLink.used_at.is_(None),
                StaffPasswordLink.replaced_at.is_(None),
            )
            .values(replaced_at=now)
            .execution_options(synchronize_session=False)
        )

    def locked_count(self, now: datetime) -> int:
        """Accounts locked after wrong passwords, at ``now``."""
        query = select(func.count()).select_from(StaffUser).where(StaffUser.locked_until > now)
        return self.session.scalar(query) or 0

    def add_token(self, token: ApiToken) -> None:
        self.session.add(token)
        self.session.flush()

    def live_token(self, digest: bytes) -> LiveToken | None:
        """The token with this digest if it is not revoked, read now (never cached, so
        a revocation holds from the next request on)."""
        row = self.session.execute(_LIVE_TOKEN, {"digest": digest}).first()
        return None if row is None else LiveToken(*row)

    def live_token_named(self, name: str) -> ApiToken | None:
        query = select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
        return self.session.scalar(query)

    def all_tokens(self) -> list[ApiToken]:
        return list(self.session.scalars(select(ApiToken).order_by(ApiToken.name, ApiToken.id)))

    def note_token_used(self, token_id: int, now: datetime) -> None:
        self.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
