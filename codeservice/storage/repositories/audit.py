from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from codeservice.storage.models import AuditRecord


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def last(self) -> AuditRecord | None:
        return self.session.scalar(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1))
