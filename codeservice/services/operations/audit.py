"""Writing and verifying the audit trail."""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import (
    CURRENT,
    GENESIS,
    LEGACY,
    AuditEntry,
    AuditTag,
    canonical_details,
    chain_hash,
    chain_hash_v2,
    personal_digest,
    redaction_seal,
)
from codeservice.domain.audit_anchor import ChainHead
from codeservice.domain.retention import personal_fields, redact_record
from codeservice.domain.text import check_usable
from codeservice.errors import InputError
from codeservice.storage.models.audit import AuditRecord
from codeservice.storage.uow import UnitOfWork


def event(
    uow: UnitOfWork,
    keyring: Keyring,
    action: AuditTag,
    /,
    *,
    actor: str,
    source: str,
    now: datetime,
    **details: Any,
) -> AuditRecord:
    """Record one audit event in the caller's transaction: who (``actor``), from where
    (``source``), when (``now``), and its details as keywords."""
    return record(
        uow, keyring.audit_key, actor=actor, action=action, source=source, details=details, now=now
    )


def record(
    uow: UnitOfWork,
    chain_key: bytes,
    *,
    actor: str,
    action: str,
    source: str,
    details: dict[str, Any] | None = None,
    now: datetime,
    version: int = CURRENT,
) -> AuditRecord:
    """Append one record inside the caller's transaction (it commits or rolls back with it).

    ``version`` is ``LEGACY`` only to reproduce a trail written before migration 0004.
    """
    last = uow.audit.last_for_append()
    row = _chained(chain_key, last, actor, action, source, details or {}, now, version)
    uow.append_audit(row, chain_key)
    return row


@dataclass(frozen=True)
class Entry:
    """One record for ``record_many``."""

    actor: str
    action: str
    source: str
    details: dict[str, Any]
    at: datetime | None = None  # when it happened, if not the ``now`` of the batch


def record_many(
    uow: UnitOfWork, chain_key: bytes, entries: list[Entry], *, now: datetime
) -> list[AuditRecord]:
    """``record`` for several records in a row: one look-up of the last and one insert."""
    if not entries:
        return []
    last = uow.audit.last_for_append()
    rows: list[AuditRecord] = []
    for entry in entries:
        row = _chained(
            chain_key,
            last,
            entry.actor,
            entry.action,
            entry.source,
            entry.details,
            entry.at or now,
            CURRENT,
        )
        rows.append(row)
        last = ChainHead(row.seq, row.hash)
    uow.append_audits(rows, chain_key)
    return rows


def _chained(
    chain_key: bytes,
    last: ChainHead | None,
    actor: str,
    action: str,
    source: str,
    details: dict[str, Any],
    now: datetime,
    version: int,
) -> AuditRecord:
    """The record that follows ``last`` (not yet added)."""
    entry = AuditEntry(actor=actor, action=str(action), source=source, details=details)
    seq = 1 if last is None else last.seq + 1
    prev_hash = GENESIS if last is None else last.hash
    at = now.astimezone(UTC)
    row = AuditRecord(
        seq=seq,
        at=at,
        actor=entry.actor,
        action=entry.action,
        source=entry.source,
        details=canonical_details(entry.details),
        prev_hash=prev_hash,
        version=version,
    )
    if version == LEGACY:
        row.hash = _legacy_hash(chain_key, row)
    else:
        personal = personal_fields(entry.action, entry.source, entry.details)
        if personal:
            row.personal_salt = secrets.token_hex(16)
            row.personal_hash = personal_digest(row.personal_salt, personal)
        row.hash = _hash_v2(chain_key, row)
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
            if not vouched_for(chain_key, row):
                return checked, ChainProblem(
                    row.seq, row.id, "its content was changed after it was written"
                )
            prev_hash = row.hash
            expected_seq += 1
            checked += 1


def vouched_for(chain_key: bytes, row: AuditRecord) -> bool:
    """Whether the record is as it was written (or as retention left it), and its
    ``hash`` may link the chain."""
    if row.version == LEGACY:
        if row.redacted_at is None:
            return hmac.compare_digest(_legacy_hash(chain_key, row), row.hash)
        seal = redacted_seal(chain_key, row, row.redacted_at, row.source, row.details)
        return hmac.compare_digest(seal, row.redaction_seal or "")
    if not hmac.compare_digest(_hash_v2(chain_key, row), row.hash):
        return False
    details = _parsed(row.details)
    if details is None:
        return False
    personal = personal_fields(row.action, row.source, details)
    if row.personal_salt is not None:
        return row.personal_hash == personal_digest(row.personal_salt, personal)
    if row.redacted_at is None:  # written with nothing personal: none may appear since
        return row.personal_hash is None and not personal
    # Redacted: what is left must be its own public form (no personal value put back).
    return (row.source, row.details) == public_form(row.action, row.source, details)


def public_form(action: str, source: str, details: dict[str, Any]) -> tuple[str, str]:
    """The record's source and details with personal fields as ``[redacted]``."""
    redacted = redact_record(action, source, details)
    kept_source, kept = (source, details) if redacted is None else redacted
    return kept_source, canonical_details(kept)


def _hash_v2(chain_key: bytes, row: AuditRecord) -> str:
    details = _parsed(row.details)
    source, public = row.source, row.details
    if details is not None:
        source, public = public_form(row.action, row.source, details)
    return chain_hash_v2(
        chain_key, **_hashed(row, source, public), personal_hash=row.personal_hash or ""
    )


def _legacy_hash(chain_key: bytes, row: AuditRecord) -> str:
    return chain_hash(chain_key, **_hashed(row, row.source, row.details))


def redacted_seal(
    chain_key: bytes, row: AuditRecord, redacted_at: datetime, source: str, details: str
) -> str:
    """The seal of a version 1 record redacted to ``source`` and ``details``
    (domain.audit.redaction_seal): retention makes it, ``verify_chain`` checks it."""
    return redaction_seal(
        chain_key, **_hashed(row, source, details), hash=row.hash, redacted_at=redacted_at
    )


def _hashed(row: AuditRecord, source: str, details: str) -> dict[str, Any]:
    """The fields of ``row`` that every version of the chain hashes, with its ``source``
    and ``details`` as given (they differ from the row's where it is redacted)."""
    return {
        "seq": row.seq,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "source": source,
        "details": details,
        "prev_hash": row.prev_hash,
    }


def _parsed(details: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(details)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


MAX_ACTION_LENGTH = 128  # the column's length: a longer prefix can match nothing


def recent(uow: UnitOfWork, limit: int = 50, action_prefix: str | None = None) -> list[AuditRecord]:
    """The newest records, whose action starts with ``action_prefix`` if given: taken
    literally (``%`` and ``_`` are no wildcards), and refused naming the field when no
    action could start so (too long, or an unusable character such as NUL) rather than
    sent to a database that fails on it."""
    if action_prefix:
        check_usable(action_prefix, field="action", label="the action")
        if len(action_prefix) > MAX_ACTION_LENGTH:
            raise InputError(
                f"the action is longer than any action ({MAX_ACTION_LENGTH} characters)",
                field="action",
            )
    return uow.audit.recent(limit, action_prefix)
