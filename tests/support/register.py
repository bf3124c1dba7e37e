"""Importing a register as ``codeservice providers import`` does: the clock read once, one
transaction opened and committed, the use case handed the container's collaborators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.services.register import providers
from codeservice.services.register.apply import ImportSummary
from codeservice.services.register.providers import RegisterRules
from codeservice.storage.models import AuditRecord, Provider, Spoc

# A register with security plans, and one with two prime providers (PRV001 with two SPoCs).
PLANS_HEADER = (
    "ref,name,prime_ref,spoc_name,spoc_email,"
    "security_plan_received,security_plan_approved,security_plan_changed\n"
)
TWO_PRIMES = PLANS_HEADER + (
    "PRV001,Northfield Employment Ltd,,Ann Lee,ann.lee@example.org,2024-01-08,2024-02-05,\n"
    "PRV001,Northfield Employment Ltd,,Bob Roe,bob.roe@example.org,2024-01-08,2024-02-05,\n"
    "PRV002,Harbourside Skills,,Cat Jones,cat@example.com,2024-01-08,2024-02-05,\n"
)


def import_register(
    app: Container,
    data: bytes,
    filename: str,
    *,
    prune: bool = False,
    actor: str,
    source: str = "cli",
) -> ImportSummary:
    now = app.now()
    with app.transaction() as uow:
        return providers.import_register(
            uow,
            app.keyring,
            RegisterRules.of(app.settings),
            data,
            filename,
            prune=prune,
            actor=actor,
            source=source,
            now=now,
        )


def import_register_file(
    app: Container, path: Path, *, prune: bool = False, actor: str, source: str = "cli"
) -> ImportSummary:
    now = app.now()
    with app.transaction() as uow:
        return providers.import_register_file(
            uow,
            app.keyring,
            RegisterRules.of(app.settings),
            path,
            prune=prune,
            actor=actor,
            source=source,
            now=now,
        )


def register_snapshot(container: Container) -> dict[str, list[tuple[Any, ...]]]:
    """Every provider, SPoC and audit record, to compare before and after a change."""
    with container.uow() as uow:
        providers = uow.session.scalars(select(Provider).order_by(Provider.id))
        spocs = uow.session.scalars(select(Spoc).order_by(Spoc.id))
        audit = uow.session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
        return {
            "providers": [
                (p.id, p.ref, p.name, p.prime_id, p.active, p.created_at, p.updated_at)
                for p in providers
            ],
            "spocs": [
                (s.id, s.provider_id, s.name, s.email, s.active, s.created_at, s.updated_at)
                for s in spocs
            ],
            "audit": [(a.seq, a.action, a.details, a.hash) for a in audit],
        }
