"""Single changes to the register, made in the browser: rename a provider, deactivate or
reactivate it, record its security plan's dates, add a SPoC, deactivate or reactivate one.

Each is one transaction under the register import's lock (so it never interleaves
with an import, and any preview made before it is refused as stale), checked with the
register file's rules and audited with the provider's ref (never a SPoC's address).
Asking for what is already so changes nothing and records nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.domain.register_edits import (
    InvalidEdit,
    check_plan_dates,
    check_provider_name,
    check_spoc,
)
from codeservice.domain.security_plan import plan_status
from codeservice.errors import NotFound
from codeservice.services.operations import audit
from codeservice.storage.models import Provider, Spoc
from codeservice.storage.uow import UnitOfWork

NO_PROVIDER = "There is no provider with this reference on the register"


@contextmanager
def _provider(container: Container, ref: str) -> Iterator[tuple[UnitOfWork, Provider]]:
    with container.uow() as uow:
        uow.register.lock_for_import()
        provider = uow.register.get_provider(ref)
        if provider is None:
            raise NotFound(NO_PROVIDER)
        yield uow, provider


def _record(
    uow: UnitOfWork,
    container: Container,
    tag: AuditTag,
    details: dict[str, Any],
    *,
    actor: str,
    source: str,
) -> None:
    now = container.now()
    audit.event(uow, container.keyring, tag, actor=actor, source=source, now=now, **details)
    uow.commit()


def rename_provider(container: Container, ref: str, name: str, *, actor: str, source: str) -> None:
    new_name = check_provider_name(name)
    with _provider(container, ref) as (uow, provider):
        if provider.name == new_name:
            return
        provider.name, provider.updated_at = new_name, container.now()
        details = {"provider": ref, "changed": "renamed", "name": new_name}
        _record(
            uow, container, AuditTag.REGISTER_PROVIDER_UPDATE, details, actor=actor, source=source
        )


def set_provider_active(
    container: Container, ref: str, active: bool, *, actor: str, source: str
) -> None:
    with _provider(container, ref) as (uow, provider):
        if provider.active == active:
            return
        provider.active, provider.updated_at = active, container.now()
        tag = AuditTag.REGISTER_PROVIDER_UPDATE if active else AuditTag.REGISTER_PROVIDER_DEACTIVATE
        details = {"provider": ref, "changed": "reactivated" if active else "deactivated"}
        _record(uow, container, tag, details, actor=actor, source=source)


def add_spoc(
    container: Container, ref: str, name: str, email: str, *, actor: str, source: str
) -> None:
    """Add a SPoC to a prime provider; the same address, inactive, is reactivated."""
    spoc_details = check_spoc(name, email)
    with _provider(container, ref) as (uow, provider):
        if provider.prime_id is not None:
            raise InvalidEdit(
                {"spoc_name": "A subcontractor has no SPoCs: add them to its prime provider"}
            )
        now = container.now()
        folded = spoc_details.email.casefold()
        same = [s for s in uow.register.all_spocs() if s.provider_id == provider.id]
        found = next((s for s in same if s.email.casefold() == folded), None)
        if found is not None and found.active:
            raise InvalidEdit({"spoc_email": f"{found.email} is already a SPoC of {ref}"})
        if found is None:
            found = Spoc(
                provider_id=provider.id,
                name=spoc_details.name,
                email=spoc_details.email,
                active=True,
                created_at=now,
                updated_at=now,
            )
            uow.register.add_spoc(found)
            uow.register.flush()
            tag, changed = AuditTag.REGISTER_SPOC_CREATE, "SPoC added"
        else:
            found.name, found.email, found.active = spoc_details.name, spoc_details.email, True
            found.updated_at = now
            tag, changed = AuditTag.REGISTER_SPOC_UPDATE, "SPoC reactivated"
        details = {"provider": ref, "spoc": found.id, "changed": changed}
        _record(uow, container, tag, details, actor=actor, source=source)


def set_spoc_active(
    container: Container, ref: str, spoc_id: int, active: bool, *, actor: str, source: str
) -> None:
    with _provider(container, ref) as (uow, provider):
        spoc = uow.register.spoc_by_id(spoc_id)
        if spoc is None or spoc.provider_id != provider.id:
            raise NotFound("There is no such SPoC for this provider")
        if spoc.active == active:
            return
        spoc.active, spoc.updated_at = active, container.now()
        tag = AuditTag.REGISTER_SPOC_UPDATE if active else AuditTag.REGISTER_SPOC_DEACTIVATE
        details = {
            "provider": ref,
            "spoc": spoc.id,
            "changed": "SPoC reactivated" if active else "SPoC deactivated",
        }
        _record(uow, container, tag, details, actor=actor, source=source)


def set_security_plan(
    container: Container,
    ref: str,
    parts: dict[str, tuple[str, str, str]],
    *,
    actor: str,
    source: str,
) -> None:
    """Record when a prime provider's security plan was received, approved and last
    changed, as typed in the provider page's date inputs (the register file's rules)."""
    today = container.now().astimezone(container.settings.tz).date()
    plan = check_plan_dates(parts, today)
    with _provider(container, ref) as (uow, provider):
        if provider.prime_id is not None:
            raise InvalidEdit(
                {"plan": "A subcontractor is covered by its prime provider's security plan"}
            )
        if provider.security_plan == plan:
            return
        provider.security_plan, provider.updated_at = plan, container.now()
        details = {"provider": ref, "changed": f"security plan: {plan_status(plan)}"}
        _record(
            uow, container, AuditTag.REGISTER_PROVIDER_UPDATE, details, actor=actor, source=source
        )
