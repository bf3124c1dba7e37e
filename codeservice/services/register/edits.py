"""Single changes to the register, made in the browser: rename a provider, deactivate or
reactivate it, record its security plan's dates, add a SPoC, deactivate or reactivate one.

Each works in the caller's open unit of work (the caller commits), under the register
import's lock (so it never interleaves with an import, and any preview made before it is
refused as stale), checked with the register file's rules and audited with the
provider's ref (never a SPoC's address). Asking for what is already so changes nothing
and records nothing.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from codeservice.crypto.keyring import Keyring
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


def _provider(uow: UnitOfWork, ref: str) -> Provider:
    uow.register.lock_for_import()
    provider = uow.register.get_provider(ref)
    if provider is None:
        raise NotFound(NO_PROVIDER)
    return provider


def rename_provider(
    uow: UnitOfWork,
    keyring: Keyring,
    ref: str,
    name: str,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    new_name = check_provider_name(name)
    provider = _provider(uow, ref)
    if provider.name == new_name:
        return
    provider.name, provider.updated_at = new_name, now
    audit.event(
        uow,
        keyring,
        AuditTag.REGISTER_PROVIDER_UPDATE,
        actor=actor,
        source=source,
        now=now,
        provider=ref,
        changed="renamed",
        name=new_name,
    )


def set_provider_active(
    uow: UnitOfWork,
    keyring: Keyring,
    ref: str,
    active: bool,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    provider = _provider(uow, ref)
    if provider.active == active:
        return
    provider.active, provider.updated_at = active, now
    tag = AuditTag.REGISTER_PROVIDER_UPDATE if active else AuditTag.REGISTER_PROVIDER_DEACTIVATE
    changed = "reactivated" if active else "deactivated"
    audit.event(
        uow, keyring, tag, actor=actor, source=source, now=now, provider=ref, changed=changed
    )


def add_spoc(
    uow: UnitOfWork,
    keyring: Keyring,
    ref: str,
    name: str,
    email: str,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    """Add a SPoC to a prime provider; the same address, inactive, is reactivated. The
    same name and address again, active (a double click, a second tab), changes
    nothing; another name at an address already used is refused."""
    spoc_details = check_spoc(name, email)
    provider = _provider(uow, ref)
    if provider.prime_id is not None:
        raise InvalidEdit(
            {"spoc_name": "A subcontractor has no SPoCs: add them to its prime provider"}
        )
    folded = spoc_details.email.casefold()
    same = [s for s in uow.register.all_spocs() if s.provider_id == provider.id]
    found = next((s for s in same if s.email.casefold() == folded), None)
    if found is not None and found.active:
        if (found.name, found.email) == (spoc_details.name, spoc_details.email):
            return
        raise InvalidEdit({"spoc_email": f"{found.email} is already a SPoC of {ref}"})
    if found is not None:  # inactive: reactivated under the name given, as by its own page
        found.name, found.email = spoc_details.name, spoc_details.email
        set_spoc_active(uow, keyring, ref, found.id, True, actor=actor, source=source, now=now)
        return
    spoc = Spoc(
        provider_id=provider.id,
        name=spoc_details.name,
        email=spoc_details.email,
        active=True,
        created_at=now,
        updated_at=now,
    )
    uow.register.add_spoc(spoc)
    uow.register.flush()
    audit.event(
        uow,
        keyring,
        AuditTag.REGISTER_SPOC_CREATE,
        actor=actor,
        source=source,
        now=now,
        provider=ref,
        spoc=spoc.id,
        changed="SPoC added",
    )


def set_spoc_active(
    uow: UnitOfWork,
    keyring: Keyring,
    ref: str,
    spoc_id: int,
    active: bool,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    provider = _provider(uow, ref)
    spoc = uow.register.spoc_by_id(spoc_id)
    if spoc is None or spoc.provider_id != provider.id:
        raise NotFound("There is no such SPoC for this provider")
    if spoc.active == active:
        return
    spoc.active, spoc.updated_at = active, now
    tag = AuditTag.REGISTER_SPOC_UPDATE if active else AuditTag.REGISTER_SPOC_DEACTIVATE
    changed = "SPoC reactivated" if active else "SPoC deactivated"
    audit.event(
        uow,
        keyring,
        tag,
        actor=actor,
        source=source,
        now=now,
        provider=ref,
        spoc=spoc.id,
        changed=changed,
    )


def set_security_plan(
    uow: UnitOfWork,
    keyring: Keyring,
    ref: str,
    parts: dict[str, tuple[str, str, str]],
    *,
    tz: tzinfo,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    """Record when a prime provider's security plan was received, approved and last
    changed, as typed in the provider page's date inputs (the register file's rules);
    ``tz`` is the service's, in which "today" is reckoned."""
    plan = check_plan_dates(parts, now.astimezone(tz).date())
    provider = _provider(uow, ref)
    if provider.prime_id is not None:
        raise InvalidEdit(
            {"plan": "A subcontractor is covered by its prime provider's security plan"}
        )
    if provider.security_plan == plan:
        return
    provider.security_plan, provider.updated_at = plan, now
    audit.event(
        uow,
        keyring,
        AuditTag.REGISTER_PROVIDER_UPDATE,
        actor=actor,
        source=source,
        now=now,
        provider=ref,
        changed=f"security plan: {plan_status(plan)}",
    )
