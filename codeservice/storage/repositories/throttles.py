from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from codeservice.storage.models import SignInThrottle


class ThrottleRepository:
    """Sign-in failure counts by name and by address (see ``SignInThrottle``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, kind: str, key_hash: bytes) -> SignInThrottle | None:
        query = select(SignInThrottle).where(
            SignInThrottle.kind == kind, SignInThrottle.key_hash == key_hash
        )
        return self.session.scalar(query)

    def hold(self, kind: str, key_hash: bytes, *, name_hash: bytes | None = None) -> SignInThrottle:
        """The row for this key, made if missing, locked until commit so concurrent
        failures all count (SQLite needs no row lock: BEGIN IMMEDIATE serialises)."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(SignInThrottle)
            .values(kind=kind, key_hash=key_hash, name_hash=name_hash, failures=0)
            .on_conflict_do_nothing(index_elements=["kind", "key_hash"])
        )
        self.session.execute(statement)
        query = (
            select(SignInThrottle)
            .where(SignInThrottle.kind == kind, SignInThrottle.key_hash == key_hash)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(query).one()

    def forget_expired(self, now: datetime) -> None:
        """Delete rows whose lock or window has run out; rows another transaction
        holds are skipped (on PostgreSQL), so this never waits for anybody."""
        expired = (
            select(SignInThrottle.id)
            .where(SignInThrottle.forget_at <= now)
            .with_for_update(skip_locked=True)
        )
        ids = list(self.session.scalars(expired))
        if ids:
            self.session.execute(
                delete(SignInThrottle)
                .where(SignInThrottle.id.in_(ids))
                .execution_options(synchronize_session=False)
            )

    def release_name(self, name_hash: bytes, now: datetime) -> bool:
        """Forget a name's counts from every address; True if one of them was locked."""
        rows = list(
            self.session.scalars(
                select(SignInThrottle)
                .where(SignInThrottle.name_hash == name_hash)
                .with_for_update()
            )
        )
        for row in rows:
            self.session.delete(row)
        return any(row.locked_until is not None and now < row.locked_until for row in rows)
