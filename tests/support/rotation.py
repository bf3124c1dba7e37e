"""Registers for rotation tests, and the one check they all end with: exactly one code
per provider and one email 1 per SPoC, however the rotation was killed, shared or rerun."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from codeservice.bootstrap import Container
from codeservice.storage.models import AccessCode, Delivery, Spoc
from mailer.schema import outbox

PLAN = "2024-01-08,2024-02-05,"  # security plan received, approved, changed


def write_register(
    path: Path, providers: int, *, prefix: str = "P", name: str = "Provider"
) -> Path:
    """``providers`` primes with an approved security plan, each with two SPoCs."""
    lines = [
        "ref,name,prime_ref,spoc_name,spoc_email,"
        "security_plan_received,security_plan_approved,security_plan_changed"
    ]
    for number in range(1, providers + 1):
        ref, title = f"{prefix}{number:03}", f"{name} {number} Ltd"
        lines.append(f"{ref},{title},,Spoc A{number},a{number}@example.org,{PLAN}")
        lines.append(f"{ref},{title},,Spoc B{number},b{number}@example.net,,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def codes_issued(container: Container, cycle: str) -> int:
    with container.uow() as uow:
        query = select(func.count()).select_from(AccessCode).where(AccessCode.cycle == cycle)
        return int(uow.session.scalar(query) or 0)


def assert_once_each(container: Container, cycle: str, providers: int) -> None:
    """One code per provider, one delivery and one email 1 per SPoC (two per provider)."""
    with container.uow() as uow:
        session = uow.session
        per_provider = session.execute(
            select(AccessCode.provider_id, func.count())
            .where(AccessCode.cycle == cycle)
            .group_by(AccessCode.provider_id)
        ).all()
        assert len(per_provider) == providers
        assert all(count == 1 for _provider, count in per_provider)
        spocs = session.scalar(select(func.count()).select_from(Spoc))
        deliveries = session.execute(
            select(Delivery.spoc_id, func.count()).group_by(Delivery.spoc_id)
        ).all()
        assert len(deliveries) == spocs == 2 * providers
        assert all(count == 1 for _spoc, count in deliveries)
        emails = session.execute(
            select(outbox.c.recipients, func.count())
            .where(outbox.c.category == "access-code-document")
            .group_by(outbox.c.recipients)
        ).all()
        assert len(emails) == spocs
        assert all(count == 1 for _to, count in emails)
