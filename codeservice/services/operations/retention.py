"""Retention: purge or redact personal data past its period (docs/security.md, "Retention").

``purge`` works kind by kind, in batches; each batch is one transaction holding its
own ``system:retention:purge`` audit record (the kind and a count, nothing purged), so
a run killed half way has lost nothing and the next run carries on. Every batch repeats
its condition in its UPDATE: a second run, or two at once, changes nothing twice.
Register files uploaded in the browser and never applied go after a day.

Audit records keep their place in the hash chain. Before any is redacted the whole
chain is verified, and each record is checked again in the redacting transaction. A
version 2 record chains its personal fields through a salted digest: they are blanked
and the salt dropped, and the hash stays right. A version 1 record (written before
migration 0004) is sealed once blanked: an HMAC under the audit key over what is left
and its old hash, which ``audit verify`` checks in place of that hash.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from codeservice.config import Settings
from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import LEGACY, AuditTag
from codeservice.domain.retention import (
    REGISTER_UPLOAD_KEPT,
    RetentionKind,
    RetentionPolicy,
    due_at,
    redact_record,
)
from codeservice.services.operations import audit
from codeservice.services.operations.audit import public_form, verify_chain, vouched_for
from codeservice.storage.models import AuditRecord
from codeservice.storage.repositories.retention import RetentionRepository, Waiting
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

BATCH = 500
PURGE = AuditTag.SYSTEM_RETENTION_PURGE


def policy_of(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        mail_months=settings.retention_mail_months,
        address_months=settings.retention_address_months,
        removed_spoc_months=settings.retention_removed_spoc_months,
        incident_months=settings.retention_incident_months,
    )


@dataclass(frozen=True)
class KindReport:
    """One kind: its period, how many rows are past it now, and when the next one is."""

    kind: RetentionKind
    months: int
    due_now: int
    waiting: int
    next_due: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": str(self.kind),
            "what": self.kind.label,
            "months": self.months,
            "due_now": self.due_now,
            "waiting": self.waiting,
            "next_due": None if self.next_due is None else self.next_due.isoformat(),
        }


def report(uow: UnitOfWork, policy: RetentionPolicy, *, now: datetime) -> list[KindReport]:
    """What ``purge`` would do now, and when each kind next has something to do; reads
    only (the caller opens ``container.read_uow()``)."""
    mail_cut = policy.cutoff(RetentionKind.MAIL, now)
    address_cut = policy.cutoff(RetentionKind.ACKNOWLEDGEMENTS, now)
    found: list[KindReport] = []
    repo = uow.retention
    for kind, due, waiting in _kinds(repo):
        cut = policy.cutoff(kind, now)
        months = policy.months(kind)
        count = len(due(cut, 10**9))
        found.append(_report(kind, months, count, [(waiting(cut), months)]))
    records = repo.audit_due(mail_cut, address_cut, 0, 10**9, lock=False)
    pending = [
        (repo.audit_waiting(True, mail_cut), policy.mail_months),
        (repo.audit_waiting(False, address_cut), policy.address_months),
    ]
    due_now = sum(1 for row in records if _redacted(row) is not None)
    found.append(_report(RetentionKind.AUDIT, policy.address_months, due_now, pending))
    return found


def _report(
    kind: RetentionKind, months: int, due_now: int, pending: list[tuple[Waiting, int]]
) -> KindReport:
    dates = [due_at(w.oldest, m) for w, m in pending if w.oldest is not None]
    waiting = sum(w.count for w, _m in pending)
    return KindReport(kind, months, due_now, waiting, min(dates) if dates else None)


Due = Callable[[datetime, int], list[int]]


def _kinds(
    repo: RetentionRepository,
) -> list[tuple[RetentionKind, Due, Callable[[datetime], Waiting]]]:
    return [
        (RetentionKind.MAIL, repo.mail_due, repo.mail_waiting),
        (RetentionKind.ACKNOWLEDGEMENTS, repo.acknowledgements_due, repo.acknowledgements_waiting),
        (RetentionKind.REMOVED_SPOCS, repo.removed_spocs_due, repo.removed_spocs_waiting),
        (RetentionKind.INCIDENTS, repo.incidents_due, repo.incidents_waiting),
    ]


@dataclass
class PurgeResult:
    counts: dict[str, int] = field(default_factory=lambda: {str(k): 0 for k in RetentionKind})
    audit_problem: str | None = None  # the chain was broken: no audit record was redacted
    register_uploads: int = 0  # register files uploaded, never applied, past their day

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def purge(
    reading: Callable[[], UnitOfWork],
    writing: Callable[[], UnitOfWork],
    keyring: Keyring,
    policy: RetentionPolicy,
    *,
    actor: str,
    source: str,
    now: datetime,
    batch: int = BATCH,
) -> PurgeResult:
    """Purge or redact everything past its period at ``now`` (idempotent, crash-safe).
    It commits batch by batch, so it takes the factories of units of work
    (``container.read_uow``, ``container.uow``) rather than one."""
    result = PurgeResult()

    def record(uow: UnitOfWork, kind: RetentionKind, count: int) -> None:
        """The batch's audit record: the kind and a count, nothing purged."""
        audit.event(
            uow, keyring, PURGE, actor=actor, source=source, now=now, kind=str(kind), count=count
        )

    blankers: dict[RetentionKind, Callable[[RetentionRepository, list[int], datetime], int]] = {
        RetentionKind.MAIL: lambda r, ids, cut: r.blank_mail(ids, cut),
        RetentionKind.ACKNOWLEDGEMENTS: lambda r, ids, cut: r.blank_acknowledgements(ids, cut),
        RetentionKind.REMOVED_SPOCS: lambda r, ids, cut: r.blank_removed_spocs(ids, cut, now),
        RetentionKind.INCIDENTS: lambda r, ids, cut: r.blank_incidents(ids, cut, now),
    }
    for kind, blank in blankers.items():
        cut = policy.cutoff(kind, now)
        while True:
            with writing() as uow:
                due = dict((k, d) for k, d, _w in _kinds(uow.retention))[kind]
                ids = due(cut, batch)
                done = blank(uow.retention, ids, cut) if ids else 0
                if done:
                    record(uow, kind, done)
                uow.commit()
            result.counts[str(kind)] += done
            if not ids or not done:
                break
    with writing() as uow:  # register files uploaded and never applied
        result.register_uploads = uow.register.drop_uploads_before(now - REGISTER_UPLOAD_KEPT)
        uow.commit()
    _redact_audit(reading, writing, keyring, policy, now, result, record, batch=batch)
    log.info(
        "retention purge: %s",
        ", ".join(f"{count} {kind}" for kind, count in result.counts.items()),
    )
    return result


def _redact_audit(
    reading: Callable[[], UnitOfWork],
    writing: Callable[[], UnitOfWork],
    keyring: Keyring,
    policy: RetentionPolicy,
    now: datetime,
    result: PurgeResult,
    record: Callable[[UnitOfWork, RetentionKind, int], None],
    *,
    batch: int,
) -> None:
    key = keyring.audit_key
    with reading() as uow:
        _checked, problem = verify_chain(uow, key)
    if problem is not None:  # redacting now would launder an edited record
        result.audit_problem = f"the hash chain is broken ({problem}); nothing was redacted"
        log.error("retention: audit records not redacted: the hash chain is broken")
        return
    mail_cut = policy.cutoff(RetentionKind.MAIL, now)
    address_cut = policy.cutoff(RetentionKind.ACKNOWLEDGEMENTS, now)
    after = 0
    while True:
        with writing() as uow:
            rows = uow.retention.audit_due(mail_cut, address_cut, after, batch)
            done = 0
            for row in rows:
                after = row.seq
                if not vouched_for(key, row):
                    result.audit_problem = f"audit record #{row.seq} was changed; not redacted"
                    uow.rollback()
                    return
                redacted = _redacted(row)
                if redacted is None:
                    continue
                redacted_source, details = redacted
                seal = None
                if row.version == LEGACY:  # its hash covers the fields: seal what is left
                    seal = audit.redacted_seal(key, row, now, redacted_source, details)
                uow.retention.redact_audit(
                    row, source=redacted_source, details=details, at=now, seal=seal
                )
                done += 1
            if done:
                record(uow, RetentionKind.AUDIT, done)
            uow.commit()
        result.counts[str(RetentionKind.AUDIT)] += done
        if not rows:
            return


def _redacted(row: AuditRecord) -> tuple[str, str] | None:
    """The record's public form, if it holds anything personal."""
    try:
        details = json.loads(row.details)
    except json.JSONDecodeError:
        return None
    if not isinstance(details, dict) or redact_record(row.action, row.source, details) is None:
        return None
    public = public_form(row.action, row.source, details)
    return None if public == (row.source, row.details) else public
