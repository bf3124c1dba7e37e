"""The provider register: importing the CSV, listing and finding providers."""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from codeservice.config import Settings
from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.domain.register import (
    RegisterFile,
    RegisterLimits,
    check_limits,
    check_size,
    decode_register,
    parse_register,
)
from codeservice.domain.security_plan import SecurityPlan, plan_status
from codeservice.domain.text import printable, search_key
from codeservice.errors import InputError
from codeservice.services.operations import audit
from codeservice.services.register.apply import ImportSummary, apply_file
from codeservice.storage.models import Provider, Spoc
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class SpocView:
    name: str
    email: str
    active: bool


@dataclass(frozen=True)
class ProviderView:
    ref: str
    name: str
    prime_ref: str | None
    active: bool
    spocs: tuple[SpocView, ...] = ()
    subcontractors: tuple[str, ...] = ()
    plan: SecurityPlan = SecurityPlan()  # a prime's own; a subcontractor's prime's

    @property
    def plan_status(self) -> str:
        return plan_status(self.plan)

    @property
    def is_prime(self) -> bool:
        return self.prime_ref is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "name": self.name,
            "prime_ref": self.prime_ref,
            "active": self.active,
            "spocs": [asdict(spoc) for spoc in self.spocs],
            "subcontractors": list(self.subcontractors),
            "security_plan": {
                key.removesuffix("_on"): None if value is None else value.isoformat()
                for key, value in asdict(self.plan).items()
            },
        }


@dataclass(frozen=True)
class RegisterRules:
    """What checking a register file needs of the settings: its limits, and the time
    zone in which "today" is reckoned for a security plan's dates."""

    limits: RegisterLimits
    tz: tzinfo

    @classmethod
    def of(cls, settings: Settings) -> RegisterRules:
        limits = RegisterLimits(settings.register_max_bytes, settings.register_max_lines)
        return cls(limits, settings.tz)


def read_register_file(path: Path, limits: RegisterLimits) -> bytes:
    """The bytes of a register file, refused (InputError) if it cannot be read or is
    over the size limit."""
    try:
        with path.open("rb") as file:
            # The size first: a huge file is refused before a byte of it is read, and
            # one whose size is not known in advance (a pipe) is read no further.
            name = printable(str(path))
            check_size(os.fstat(file.fileno()).st_size, name, limits)
            data = file.read(limits.max_bytes + 1)
            check_size(len(data), name, limits, whole=False)  # a pipe: how much is unknown
            return data
    except OSError as exc:
        raise InputError(f"cannot read {printable(str(path))}: {exc.strerror or exc}") from None


def import_register_file(
    uow: UnitOfWork,
    keyring: Keyring,
    rules: RegisterRules,
    path: Path,
    *,
    prune: bool = False,
    actor: str,
    source: str = "cli",
    now: datetime,
) -> ImportSummary:
    """``import_register`` of the file at ``path``, named in messages and the audit
    record as ``printable`` shows it: a file name may hold escape sequences, or bytes
    that are not UTF-8 and cannot be kept."""
    data = read_register_file(path, rules.limits)
    filename = printable(str(path))
    return import_register(
        uow, keyring, rules, data, filename, prune=prune, actor=actor, source=source, now=now
    )


def check_file(rules: RegisterRules, data: bytes, filename: str, *, now: datetime) -> RegisterFile:
    """The register in ``data``; raises InputError naming every problem (changes nothing)."""
    check_limits(data, filename, rules.limits)
    today = now.astimezone(rules.tz).date()
    return parse_register(decode_register(data, filename), filename, today)


def import_register(
    uow: UnitOfWork,
    keyring: Keyring,
    rules: RegisterRules,
    data: bytes,
    filename: str,
    *,
    prune: bool = False,
    actor: str,
    source: str = "cli",
    now: datetime,
) -> ImportSummary:
    """Check the whole file, then apply it in the caller's transaction (the caller
    commits) — or raise InputError having changed nothing.

    Providers are matched by ref, SPoCs by (provider, email ignoring case). With
    ``prune`` whatever the file does not name is deactivated, never deleted: codes,
    deliveries and the audit trail refer to those rows.
    """
    register = check_file(rules, data, filename, now=now)
    summary = ImportSummary(
        filename=Path(filename).name,
        sha256=hashlib.sha256(data).hexdigest(),
        prune=prune,
        warnings=register.warnings,
    )
    uow.register.lock_for_import()
    apply_file(uow, register, summary, now)
    record_import(uow, keyring, summary, actor=actor, source=source, now=now)
    return summary


def record_import(
    uow: UnitOfWork,
    keyring: Keyring,
    summary: ImportSummary,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    """The audit record of an applied import (counts only: no names, no addresses)."""
    audit.event(
        uow,
        keyring,
        AuditTag.REGISTER_IMPORT_APPLY,
        actor=actor,
        source=source,
        now=now,
        file=summary.filename,
        sha256=summary.sha256,
        prune=summary.prune,
        **summary.counts(),
        warnings=len(summary.warnings),
        changed=changed_refs(summary),
    )


def changed_refs(summary: ImportSummary) -> dict[str, list[str]]:
    """Each provider ref the import changed, with what: 'provider added', 'SPoC changed'."""
    found: dict[str, set[str]] = {}
    for change in summary.changes:
        found.setdefault(change.ref, set()).add(f"{change.subject} {change.kind}")
    return {ref: sorted(kinds) for ref, kinds in sorted(found.items())}


def list_register(uow: UnitOfWork, *, include_inactive: bool = False) -> list[ProviderView]:
    """Every prime provider followed by its subcontractors, by ref (active ones only
    unless ``include_inactive``); each prime with its SPoCs."""
    return _views(uow.register.all_providers(), uow.register.all_spocs(), include_inactive)


def _views(
    providers: list[Provider], spocs: list[Spoc], include_inactive: bool
) -> list[ProviderView]:
    shown = [p for p in providers if include_inactive or p.active]
    by_id = {p.id: p for p in providers}
    shown_ids = {p.id for p in shown}
    subs_of: dict[int, list[Provider]] = {}
    for provider in shown:
        if provider.prime_id is not None:
            subs_of.setdefault(provider.prime_id, []).append(provider)
    spocs_of: dict[int, list[SpocView]] = {}
    for spoc in spocs:
        if include_inactive or spoc.active:
            spocs_of.setdefault(spoc.provider_id, []).append(
                SpocView(name=spoc.name, email=spoc.email, active=spoc.active)
            )

    def view(provider: Provider) -> ProviderView:
        prime = by_id.get(provider.prime_id) if provider.prime_id is not None else None
        return ProviderView(
            ref=provider.ref,
            name=provider.name,
            prime_ref=prime.ref if prime is not None else None,
            active=provider.active,
            spocs=tuple(spocs_of.get(provider.id, ())),
            subcontractors=tuple(sorted(s.ref for s in subs_of.get(provider.id, ()))),
            plan=(prime or provider).security_plan,
        )

    views: list[ProviderView] = []
    for provider in sorted(shown, key=lambda p: p.ref):
        if provider.prime_id is None:
            views.append(view(provider))
            views.extend(view(s) for s in sorted(subs_of.get(provider.id, []), key=lambda p: p.ref))
    # Subcontractors whose prime is not shown (inactive, or itself now a subcontractor).
    views.extend(
        view(p)
        for p in sorted(shown, key=lambda p: p.ref)
        if p.prime_id is not None and (p.prime_id not in shown_ids or by_id[p.prime_id].prime_id)
    )
    return views


def find_provider(
    uow: UnitOfWork, query: str, *, include_inactive: bool = False
) -> list[ProviderView]:
    """Providers whose ref is ``query`` (exactly, listed first) or whose ref or name
    holds it, ignoring case and how accents were encoded (``search_key``)."""
    needle = query.strip()
    if not needle:
        return []
    folded = search_key(needle)
    matches = [
        view
        for view in list_register(uow, include_inactive=include_inactive)
        if view.ref == needle or folded in search_key(view.ref) or folded in search_key(view.name)
    ]
    return sorted(matches, key=lambda view: (view.ref != needle, view.ref))
