from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from codeservice.storage.models import AccessCode, AuditRecord, Provider, Reissue, StaffUser


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def last(self) -> AuditRecord | None:
        return self.session.scalar(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1))

    def hash_at(self, seq: int) -> str | None:
        """The hash of record number ``seq``, if there is one (the first, if renumbered)."""
        query = select(AuditRecord.hash).where(AuditRecord.seq == seq).order_by(AuditRecord.id)
        return self.session.scalar(query.limit(1))

    def details_of(self, action: str, batch: int = 2000) -> Iterator[dict[str, Any]]:
        """The details of every record with this action, oldest first."""
        query = (
            select(AuditRecord.details)
            .where(AuditRecord.action == action)
            .order_by(AuditRecord.seq)
            .execution_options(yield_per=batch)
        )
        for text in self.session.scalars(query):
            try:
                details = json.loads(text)
            except json.JSONDecodeError:
                continue  # an edited record: the chain check names it
            if isinstance(details, dict):
                yield details

    # --- what must have audit records (``audit verify`` cross-checks these) ------------

    def issued_codes(self) -> list[tuple[str, str, str]]:
        """Every access code ever issued: document ref, provider ref, cycle."""
        query = (
            select(AccessCode.document_ref, Provider.ref, AccessCode.cycle)
            .join(Provider, Provider.id == AccessCode.provider_id)
            .order_by(AccessCode.id)
        )
        return [(ref, provider, cycle) for ref, provider, cycle in self.session.execute(query)]

    def completed_reissues(self) -> list[int]:
        query = select(Reissue.id).where(Reissue.completed_at.is_not(None)).order_by(Reissue.id)
        return list(self.session.scalars(query))

    def staff_usernames(self) -> list[str]:
        return list(self.session.scalars(select(StaffUser.name).order_by(StaffUser.name)))
