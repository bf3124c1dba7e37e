"""The audit trail's reads: records for the console and reports, the details of an
action, and what ``audit verify`` cross-checks and notes. Appends, which keep the chain
whole, are ``AuditRepository``'s (``audit.py``), a subclass of this."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from codeservice.storage.models.audit import AuditRecord

VERIFY_JOB = "audit-verify"  # each ``audit verify`` is noted in the job-run ledger


class AuditReads:
    def __init__(self, session: Session) -> None:
        self.session = session

    def from_seq(self, seq: int, limit: int) -> list[AuditRecord]:
        """Up to ``limit`` records from number ``seq`` on, in order."""
        query = (
            select(AuditRecord).where(AuditRecord.seq >= seq).order_by(AuditRecord.seq).limit(limit)
        )
        return list(self.session.scalars(query))

    def recent(self, limit: int, action_prefix: str | None = None) -> list[AuditRecord]:
        """The newest ``limit`` records (whose action starts so), newest first."""
        query = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)
        if action_prefix:
            query = query.where(AuditRecord.action.startswith(action_prefix, autoescape=True))
        return list(self.session.scalars(query))

    def mentioning(self, word: str, limit: int) -> list[AuditRecord]:
        """The newest ``limit`` records whose details hold ``word`` as a JSON string."""
        needle = json.dumps(word)
        query = (
            select(AuditRecord)
            .where(AuditRecord.details.contains(needle, autoescape=True))
            .order_by(AuditRecord.seq.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def sign_ins_of(
        self, username: str, actions: list[str], *, limit: int, scan: int = 2000
    ) -> list[AuditRecord]:
        """The newest ``limit`` records of these actions about ``username``, newest first
        (among the newest ``scan`` records of those actions)."""
        query = (
            select(AuditRecord)
            .where(AuditRecord.action.in_(actions))
            .order_by(AuditRecord.seq.desc())
            .limit(scan)
        )
        found = [
            row
            for row in self.session.scalars(query)
            if json.loads(row.details).get("username") == username
        ]
        return found[:limit]

    def details_of(self, action: str, batch: int = 2000) -> Iterator[dict[str, Any]]:
        """The details of every record with this action, oldest first."""
        query = (
            select(AuditRecord.details)
            .where(AuditRecord.action == action)
            .order_by(AuditRecord.seq)
            .execution_options(yield_per=batch)
        )
        for raw in self.session.scalars(query):
            try:
                details = json.loads(raw)
            except json.JSONDecodeError:
                continue  # an edited record: the chain check names it
            if isinstance(details, dict):
                yield details

    # --- verifications (kept beside the scheduler's runs, not in the trail they check) --

    def record_verification(self, *, at: datetime, ok: bool, detail: str, holder: str) -> None:
        from codeservice.storage.models import JobRun  # (every model: see the package)

        self.session.add(
            JobRun(
                job=VERIFY_JOB,
                key=at.strftime("%Y%m%dT%H%M%S.%fZ"),
                due_at=at,
                started_at=at,
                finished_at=at,
                outcome="done" if ok else "failed",
                detail=detail[:500],
                holder=holder[:128],
                attempts=1,
                caught_up=False,
            )
        )
        self.session.flush()

    def last_verification(self) -> tuple[datetime, bool] | None:
        """When the trail was last verified, and whether it was intact."""
        from codeservice.storage.models import JobRun

        query = (
            select(JobRun.started_at, JobRun.outcome)
            .where(JobRun.job == VERIFY_JOB)
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(1)
        )
        row = self.session.execute(query).first()
        return None if row is None else (row[0], row[1] == "done")

    # --- what must have audit records (``audit verify`` cross-checks these) ------------

    def issued_codes(self) -> list[tuple[str, str, str]]:
        """Every access code ever issued: document ref, provider ref, cycle."""
        from codeservice.storage.models import AccessCode, Provider

        query = (
            select(AccessCode.document_ref, Provider.ref, AccessCode.cycle)
            .join(Provider, Provider.id == AccessCode.provider_id)
            .order_by(AccessCode.id)
        )
        return [(ref, provider, str(cycle)) for ref, provider, cycle in self.session.execute(query)]

    def completed_reissues(self) -> list[int]:
        from codeservice.storage.models import Reissue

        query = select(Reissue.id).where(Reissue.completed_at.is_not(None)).order_by(Reissue.id)
        return list(self.session.scalars(query))

    def staff_usernames(self) -> list[str]:
        from codeservice.storage.models import StaffUser

        return list(self.session.scalars(select(StaffUser.name).order_by(StaffUser.name)))
