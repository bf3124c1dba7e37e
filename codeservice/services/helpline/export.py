"""Exporting a cycle's codes for the helpline, when agents cannot use the console (§22).

Every code of the cycle that stands goes into one Word document, encrypted with a
fresh unlock code that is handed back once, in memory, to the caller — who shows it to
the person exporting and keeps it nowhere. The export is audited as a reveal: who,
which cycle, how many codes, the file's digest; never a code or the unlock code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from codeservice.crypto.keyring import Keyring
from codeservice.documents import encrypt_document
from codeservice.documents.code_list import (
    CodeListContent,
    CodeListEntry,
    build_code_list,
    code_list_filename,
)
from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Calendar, Cycle
from codeservice.domain.codes import STANDING, generate_unlock_code
from codeservice.errors import Conflict
from codeservice.services.distribution.codes import reveal_access_code
from codeservice.services.operations import audit
from codeservice.storage.models import Provider
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class CodeListExport:
    cycle: str
    filename: str
    codes: int
    document: bytes = field(repr=False)  # encrypted
    unlock_code: str = field(repr=False)


def export_code_list(
    uows: Callable[[], UnitOfWork],
    keyring: Keyring,
    calendar: Calendar,
    cycle: Cycle,
    *,
    actor: str,
    exported_by: str,
    source: str,
    now: datetime,
) -> CodeListExport:
    """The encrypted list and its unlock code; ``Conflict`` if the cycle has no codes."""
    dates = calendar.dates(cycle)
    with uows() as uow:
        codes = uow.codes.in_use_or_waiting(cycle, STANDING, now)
        if not codes:
            raise Conflict(
                f"cycle {cycle} has no access code in use or waiting to be used: "
                + ("it has ended" if dates.active_until <= now else "it has not been issued yet")
            )
        subcontractors = _subcontractors(uow.register.all_providers())
        entries = tuple(
            CodeListEntry(
                provider_ref=code.provider.ref,
                provider_name=code.provider.name,
                subcontractors=tuple(subcontractors.get(code.provider_id, ())),
                access_code=reveal_access_code(keyring, code),
                active_from=code.active_from,
                active_until=code.active_until,
            )
            for code in sorted(codes, key=lambda c: c.provider.ref)
        )
    content = CodeListContent(
        cycle=str(cycle),
        active_from=dates.active_from,
        active_until=dates.active_until,
        exported_at=now,
        exported_by=exported_by,
        entries=entries,
    )
    unlock_code = generate_unlock_code()
    document = encrypt_document(build_code_list(content), unlock_code)
    filename = code_list_filename(str(cycle))
    with uows() as uow:
        audit.event(
            uow,
            keyring,
            AuditTag.CODE_LIST_EXPORT,
            actor=actor,
            source=source,
            now=now,
            cycle=str(cycle),
            reveal="access-codes",
            codes=len(entries),
            providers=[entry.provider_ref for entry in entries],
            file=filename,
            sha256=hashlib.sha256(document).hexdigest(),
        )
        uow.commit()
    return CodeListExport(
        cycle=str(cycle),
        filename=filename,
        codes=len(entries),
        document=document,
        unlock_code=unlock_code,
    )


def _subcontractors(providers: Sequence[Provider]) -> dict[int, list[str]]:
    """Each prime's active subcontractors, as "Name (REF)", by ref."""
    found: dict[int, list[str]] = {}
    for provider in sorted(providers, key=lambda p: p.ref):
        if provider.prime_id is not None and provider.active:
            found.setdefault(provider.prime_id, []).append(f"{provider.name} ({provider.ref})")
    return found


def exportable_cycles(uow: UnitOfWork, *, now: datetime) -> list[tuple[Cycle, int]]:
    """Cycles with codes in use or waiting to be used, and how many, earliest first."""
    return uow.codes.count_in_use_or_waiting(STANDING, now)
