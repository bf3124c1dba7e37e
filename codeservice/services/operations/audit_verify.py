"""``audit verify``: the hash chain, its anchor, and what must have audit records.

Three checks, each reported on its own:

1. the chain — every record's HMAC and link to the one before (an edit, a deletion or a
   reordering inside the trail);
2. the anchor — the trail's head against the HMAC'd head kept beside the keyring (a
   trail emptied or cut back at its end, a forged or missing anchor);
3. the cross-check — every access code issued, every reissue completed and every staff
   account has its audit record (records removed together with what they were about
   are found by 2; these find writes that bypassed the trail).

The anchor is read before the database, so a record appended while ``verify`` runs can
only make the trail look longer than the anchor, never shorter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from codeservice.crypto.anchor_file import AnchorFile
from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.domain.audit_anchor import AnchorFinding, ChainHead, judge_anchor
from codeservice.services.operations.audit import ChainProblem, verify_chain
from codeservice.storage.audit_anchor import read_anchor
from codeservice.storage.uow import UnitOfWork

SHOWN = 20  # findings of one kind listed before "and N more"


@dataclass
class TrailReport:
    records: int = 0
    chain_problem: ChainProblem | None = None
    anchor: AnchorFinding | None = None
    unaudited: list[str] = field(default_factory=list)
    cross_checked: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        found = [] if self.chain_problem is None else [f"hash chain: {self.chain_problem}"]
        if self.anchor is not None and self.anchor.failed:
            found.append(f"anchor: {self.anchor.message}")
        found += [f"cross-check: {line}" for line in self.unaudited]
        return found


def verify_trail(
    reading: Callable[[], UnitOfWork], keyring: Keyring, anchor_path: Path
) -> TrailReport:
    """The three checks. It takes the factory of read units of work
    (``container.read_uow``): the anchor at ``anchor_path`` is read before the database."""
    key = keyring.audit_key
    anchor, unreadable = read_anchor(AnchorFile(anchor_path))
    report = TrailReport()
    with reading() as uow:
        report.records, report.chain_problem = verify_chain(uow, key)
        last = uow.audit.last()
        head = None if last is None else ChainHead(last.seq, last.hash)
        hash_at = None if anchor is None else uow.audit.hash_at(anchor.seq)
        report.anchor = judge_anchor(key, anchor, head, hash_at, unreadable=unreadable)
        _cross_check(uow, report)
    return report


def record_verification(uow: UnitOfWork, report: TrailReport, *, actor: str, now: datetime) -> None:
    """Note when the trail was verified and whether it was intact (for metrics), in the
    caller's transaction."""
    problems = report.problems
    detail = "intact" if not problems else f"{len(problems)} problems: {problems[0]}"
    uow.audit.record_verification(at=now, ok=not problems, detail=detail, holder=actor)


def _cross_check(uow: UnitOfWork, report: TrailReport) -> None:
    audit = uow.audit
    issued = {d.get("document_ref") for d in audit.details_of(AuditTag.CODE_ACCESS_ISSUE)}
    codes = audit.issued_codes()
    _missing(
        report,
        [
            f"access code {ref} ({provider}, cycle {cycle}) has no {AuditTag.CODE_ACCESS_ISSUE} "
            "record"
            for ref, provider, cycle in codes
            if ref not in issued
        ],
    )
    reissued = {d.get("reissue") for d in audit.details_of(AuditTag.CODE_ACCESS_REISSUE)}
    reissues = audit.completed_reissues()
    _missing(
        report,
        [
            f"reissue #{number} is complete but has no {AuditTag.CODE_ACCESS_REISSUE} record"
            for number in reissues
            if number not in reissued
        ],
    )
    created = {d.get("username") for d in audit.details_of(AuditTag.STAFF_USER_CREATE)}
    staff = audit.staff_usernames()
    _missing(
        report,
        [
            f"staff account {name!r} has no {AuditTag.STAFF_USER_CREATE} record"
            for name in staff
            if name not in created
        ],
    )
    report.cross_checked = {
        "access codes": len(codes),
        "reissues": len(reissues),
        "staff accounts": len(staff),
    }


def _missing(report: TrailReport, lines: list[str]) -> None:
    report.unaudited += lines[:SHOWN]
    if len(lines) > SHOWN:
        report.unaudited.append(f"... and {len(lines) - SHOWN} more like it")


def anchor_trail(
    reading: Callable[[], UnitOfWork],
    writing: Callable[[], UnitOfWork],
    keyring: Keyring,
    anchor_path: Path,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> AnchorFinding:
    """``audit anchor``: anchor a trail that has none (kept from before anchors existed).

    Only an intact chain is anchored. An anchor that exists is only moved forward along
    its own chain, as every append does: one that is forged, or vouches for records no
    longer there, is left for a person to look into. Three units of work (the factories
    ``container.read_uow``, ``container.uow``): the chain checked, the audit record
    that writes the anchor committed, then the trail verified against it.
    """
    from codeservice.errors import Conflict
    from codeservice.services.operations import audit

    key = keyring.audit_key
    with reading() as uow:
        _records, problem = verify_chain(uow, key)
    if problem is not None:
        raise Conflict(f"the hash chain is broken ({problem}); an anchor would vouch for it")
    with writing() as uow:
        uow.create_anchor()
        audit.event(
            uow,
            keyring,
            AuditTag.SYSTEM_AUDIT_ANCHOR,
            actor=actor,
            source=source,
            now=now,
            anchor_file=str(anchor_path),
        )
        uow.commit()
    found = verify_trail(reading, keyring, anchor_path).anchor
    return found or judge_anchor(key, None, None, None)
