"""Writing and verifying the audit trail."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from codeservice.domain.audit import (
    GENESIS,
    AuditEntry,
    canonical_details,
    chain_hash,
    redaction_seal,
)
from codeservice.services.operations.audit_anchor import note_append
from codeservice.storage.models import AuditRecord
from codeservice.storage.repositories.audit import AuditRepository
from codeservice.storage.uow import UnitOfWork


def record(
    uow: UnitOfWork,
    chain_key: bytes,
    *,
    actor: str,
    action: str,
    source: str,
    details: dict[str, Any] | None = None,
    now: datetime,
) -> AuditRecord:
    """Append one record inside the caller's transaction (it commits or rolls back with it)."""
    return record_in_session(
        uow.session, chain_key, actor=actor, action=action, source=source, details=details, now=now
    )


def record_in_session(
    session: Session,
    chain_key: bytes,
    *,
    actor: str,
    action: str,
    source: str,
    details: dict[str, Any] | None = None,
    now: datetime,
) -> AuditRecord:
    """``record`` for code that holds a bare session (the mail worker's outcome hook)."""
    entry = AuditEntry(actor=actor, action=str(action), source=source, details=details or {})
    records = AuditRepository(session)
    last = records.last_for_append()
    seq = 1 if last is None else last.seq + 1
    prev_hash = GENESIS if last is None else last.hash
    details_text = canonical_details(entry.details)
    at = now.astimezone(UTC)
    row = AuditRecord(
        seq=seq,
        at=at,
        actor=entry.actor,
        action=entry.action,
        source=entry.source,
        details=details_text,
        prev_hash=prev_hash,
        hash=chain_hash(
            chain_key,
            seq=seq,
            at=at,
            actor=entry.actor,
            action=entry.action,
            source=entry.source,
            details=details_text,
            prev_hash=prev_hash,
        ),
    )
    records.append(row)
    note_append(session, chain_key, seq, row.hash)
    return row


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    record_id: int
    reason: str

    def __str__(self) -> str:
        return f"audit record #{self.seq} (id {self.record_id}): {self.reason}"


def verify_chain(
    uow: UnitOfWork, chain_key: bytes, batch: int = 2000
) -> tuple[int, ChainProblem | None]:
    """Recompute the chain in order; return how many records were checked and the first problem."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    while True:
        rows = uow.audit.from_seq(expected_seq, batch)
        if not rows:
            return checked, None
        for row in rows:
            if row.seq != expected_seq:
                return checked, ChainProblem(
                    row.seq, row.id, f"record #{expected_seq} is missing (deleted or renumbered)"
                )
            if row.prev_hash != prev_hash:
                return checked, ChainProblem(
                    row.seq,
                    row.id,
                    "does not follow the record before it (one was deleted, edited or reordered)",
                )
            if not _vouched_for(chain_key, row):
                return checked, ChainProblem(
                    row.seq, row.id, "its content was changed after it was written"
                )
            prev_hash = row.hash
            expected_seq += 1
            checked += 1


def _vouched_for(chain_key: bytes, row: AuditRecord) -> bool:
    """The record's hash recomputed from its content; for a record retention redacted,
    its seal over what is left and that hash (domain.audit.redaction_seal)."""
    if row.redacted_at is None:
        recomputed = chain_hash(
            chain_key,
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            source=row.source,
            details=row.details,
            prev_hash=row.prev_hash,
        )
        return hmac.compare_digest(recomputed, row.hash)
    seal = redaction_seal(
        chain_key,
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        source=row.source,
        details=row.details,
        prev_hash=row.prev_hash,
        hash=row.hash,
        redacted_at=row.redacted_at,
    )
    return hmac.compare_digest(seal, row.redaction_seal or "")


def recent(uow: UnitOfWork, limit: int = 50, action_prefix: str | None = None) -> list[AuditRecord]:
    return uow.audit.recent(limit, action_prefix)
