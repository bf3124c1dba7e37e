"""Applying a checked register file to the register, naming every change it makes.

The one place the register file's rules meet the tables: the CLI import, the
browser's preview (run here, then rolled back) and its apply all call ``apply_file``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime

from codeservice.domain.register import RegisterFile
from codeservice.domain.security_plan import SecurityPlan, plan_status
from codeservice.storage.models import Provider, Spoc
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Change:
    """One provider or SPoC the file adds, changes or deactivates."""

    subject: str  # "provider" or "SPoC"
    kind: str  # "added", "changed" or "deactivated"
    ref: str  # the provider's ref (a SPoC's provider)
    name: str  # the provider's or the SPoC's name
    detail: str = ""  # for a SPoC its email; for a change what changed


@dataclass
class ImportSummary:
    filename: str
    sha256: str
    prune: bool
    providers_added: int = 0
    providers_updated: int = 0
    providers_unchanged: int = 0
    providers_deactivated: int = 0
    providers_not_in_file: int = 0  # active, absent from the file, left alone (no --prune)
    spocs_added: int = 0
    spocs_updated: int = 0
    spocs_unchanged: int = 0
    spocs_deactivated: int = 0
    warnings: list[str] = field(default_factory=list)  # imported, but worth a look
    changes: list[Change] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if isinstance(v, int) and k != "prune"}


def register_state(uow: UnitOfWork) -> str:
    """A fingerprint of the whole register: it changes whenever any provider or SPoC does."""
    digest = hashlib.sha256()
    for p in uow.register.all_providers():
        plan = p.security_plan
        row = (p.id, p.ref, p.name, p.prime_id, p.active, plan.received_on, plan.approved_on)
        digest.update(repr((*row, plan.changed_on)).encode())
    for s in uow.register.all_spocs():
        digest.update(repr((s.id, s.provider_id, s.name, s.email, s.active)).encode())
    return digest.hexdigest()


def _what_changed(
    provider: Provider, name: str, prime_ref: str | None, plan: SecurityPlan, has_plans: bool
) -> str:
    said: list[str] = []
    if provider.name != name:
        said.append(f"name “{provider.name}” becomes “{name}”")
    old_prime = provider.prime.ref if provider.prime is not None else None
    if old_prime != prime_ref:
        said.append(f"now a subcontractor of {prime_ref}" if prime_ref else "now a prime provider")
    if not provider.active:
        said.append("reactivated")
    if has_plans and provider.security_plan != plan:
        said.append(f"security plan: {plan_status(plan)}")
    return "; ".join(said)


def apply_file(
    uow: UnitOfWork, register: RegisterFile, summary: ImportSummary, now: datetime
) -> None:
    """Make the register what ``register`` says (see ``import_register``), in ``uow``."""
    providers = {provider.ref: provider for provider in uow.register.all_providers()}
    named: set[str] = set()

    def upsert(ref: str, name: str, prime: Provider | None, plan: SecurityPlan) -> Provider:
        named.add(ref)
        prime_id = prime.id if prime is not None else None
        provider = providers.get(ref)
        if provider is None:
            provider = Provider(
                ref=ref, name=name, prime_id=prime_id, active=True, created_at=now, updated_at=now
            )
            provider.security_plan = plan  # none in the file: not approved
            uow.register.add_provider(provider)
            providers[ref] = provider
            summary.providers_added += 1
            summary.changes.append(Change("provider", "added", ref, name))
        elif (provider.name, provider.prime_id, provider.active) != (name, prime_id, True) or (
            register.has_plans and provider.security_plan != plan
        ):
            prime_ref = prime.ref if prime is not None else None
            detail = _what_changed(provider, name, prime_ref, plan, register.has_plans)
            summary.changes.append(Change("provider", "changed", ref, name, detail))
            provider.name, provider.prime_id, provider.active = name, prime_id, True
            if register.has_plans:
                provider.security_plan = plan
            provider.updated_at = now
            summary.providers_updated += 1
        else:
            summary.providers_unchanged += 1
        return provider

    primes = [(entry, upsert(entry.ref, entry.name, None, entry.plan)) for entry in register.primes]
    uow.register.flush()  # new primes need ids before subcontractors and SPoCs point at them
    for sub in register.subcontractors:
        upsert(sub.ref, sub.name, providers[sub.prime_ref], SecurityPlan())

    spocs: dict[tuple[int, str], Spoc] = {
        (spoc.provider_id, spoc.email.casefold()): spoc for spoc in uow.register.all_spocs()
    }
    kept: set[int] = set()  # ids of the SPoCs the file names
    for entry, provider in primes:
        for spoc_entry in entry.spocs:
            spoc = spocs.get((provider.id, spoc_entry.email.casefold()))
            if spoc is None:
                uow.register.add_spoc(
                    Spoc(
                        provider_id=provider.id,
                        name=spoc_entry.name,
                        email=spoc_entry.email,
                        active=True,
                        created_at=now,
                        updated_at=now,
                    )
                )
                summary.spocs_added += 1
                summary.changes.append(
                    Change("SPoC", "added", entry.ref, spoc_entry.name, spoc_entry.email)
                )
                continue
            kept.add(spoc.id)
            wanted = (spoc_entry.name, spoc_entry.email, True)
            if (spoc.name, spoc.email, spoc.active) != wanted:
                detail = spoc_entry.email if spoc.active else f"{spoc_entry.email}; reactivated"
                if spoc.name != spoc_entry.name:
                    detail += f"; name “{spoc.name}” becomes “{spoc_entry.name}”"
                summary.changes.append(
                    Change("SPoC", "changed", entry.ref, spoc_entry.name, detail)
                )
                spoc.name, spoc.email, spoc.active = wanted
                spoc.updated_at = now
                summary.spocs_updated += 1
            else:
                summary.spocs_unchanged += 1

    absent = [p for ref, p in providers.items() if ref not in named and p.active]
    if not summary.prune:
        summary.providers_not_in_file = len(absent)
        uow.register.flush()
        return
    for provider in absent:
        provider.active = False
        provider.updated_at = now
        summary.providers_deactivated += 1
        summary.changes.append(Change("provider", "deactivated", provider.ref, provider.name))
    by_id = {provider.id: provider for provider in providers.values()}
    for spoc in spocs.values():
        if spoc.id not in kept and spoc.active:
            spoc.active = False
            spoc.updated_at = now
            summary.spocs_deactivated += 1
            ref = by_id[spoc.provider_id].ref
            summary.changes.append(Change("SPoC", "deactivated", ref, spoc.name, spoc.email))
    uow.register.flush()
