from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from codeservice.storage.models import AccessCode


class AccessCodeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, code: AccessCode) -> None:
        self.session.add(code)

    def live_for(self, provider_id: int, cycle: str) -> AccessCode | None:
        query = select(AccessCode).where(
            AccessCode.provider_id == provider_id,
            AccessCode.cycle == cycle,
            AccessCode.state != "revoked",
        )
        return self.session.scalar(query)

    def fingerprint_exists(self, fingerprint: bytes) -> bool:
        query = select(AccessCode.id).where(AccessCode.fingerprint == fingerprint)
        return self.session.scalar(query) is not None

    def document_ref_exists(self, document_ref: str) -> bool:
        query = select(AccessCode.id).where(AccessCode.document_ref == document_ref)
        return self.session.scalar(query) is not None

    def count_by_key_id(self) -> dict[str, int]:
        query = select(AccessCode.key_id, func.count()).group_by(AccessCode.key_id)
        return {key_id: count for key_id, count in self.session.execute(query)}

    def count_not_under(self, key_id: str) -> int:
        query = select(func.count()).select_from(AccessCode).where(AccessCode.key_id != key_id)
        return self.session.scalar(query) or 0

    def sealed_not_under(self, key_id: str, *, limit: int) -> list[AccessCode]:
        """Codes sealed under another key, oldest first, locked for a re-seal."""
        query = (
            select(AccessCode)
            .where(AccessCode.key_id != key_id)
            .order_by(AccessCode.id)
            .limit(limit)
            .with_for_update()
        )
        return list(self.session.scalars(query))

    def for_cycle(self, cycle: str) -> list[AccessCode]:
        """Every code of a cycle (revoked ones too), with its provider loaded."""
        query = (
            select(AccessCode)
            .where(AccessCode.cycle == cycle)
            .options(selectinload(AccessCode.provider))
            .order_by(AccessCode.id)
        )
        return list(self.session.scalars(query))
