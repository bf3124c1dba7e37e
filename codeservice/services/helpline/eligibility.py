"""§21: is the caller's organisation on the approved provider list, and which one is it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codeservice.domain import challenges as rules
from codeservice.domain.challenges import AmbiguousProvider, Organisation
from codeservice.domain.text import check_usable
from codeservice.services.register.providers import find_provider
from codeservice.storage.models import Provider
from codeservice.storage.repositories.helpline_rows import AskedRow
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class EligibilityView:
    ref: str
    name: str
    prime_ref: str | None
    prime_name: str | None
    eligible: bool
    reason: str | None


def organisation(provider: Provider | AskedRow) -> Organisation:
    """What the eligibility rule needs of a register entry: read through the ORM (the
    console's search) or as one plain row (a challenge's ``AskedRow``)."""
    if isinstance(provider, AskedRow):
        return Organisation(
            ref=provider.ref,
            active=provider.active,
            is_prime=provider.is_prime,
            prime_active=provider.prime_active,
            prime_is_prime=provider.prime_is_prime,
            plan_approved=provider.plan_approved,
        )
    prime = provider.prime
    return Organisation(
        ref=provider.ref,
        active=provider.active,
        is_prime=provider.is_prime,
        prime_active=None if prime is None else prime.active,
        prime_is_prime=None if prime is None else prime.is_prime,
        plan_approved=provider.covering_plan.approved,
    )


def search_providers(reading: Callable[[], UnitOfWork], query: str) -> list[EligibilityView]:
    """The register entries matching a name or ref, each with whether it may be helped,
    read in a unit of work from ``reading`` (``container.read_uow``).

    The agent types the query as the caller says it: one holding a character no name
    can hold is refused, naming the field, rather than answered "no match"."""
    check_usable(query.strip(), field="query", label="the name or ref")
    with reading() as uow:
        refs = [view.ref for view in find_provider(uow, query, include_inactive=True)]
        found = []
        for ref in refs:
            provider = uow.register.get_provider(ref)
            if provider is None:
                continue
            reason = rules.ineligibility(organisation(provider))
            prime = provider.prime
            found.append(
                EligibilityView(
                    ref=provider.ref,
                    name=provider.name,
                    prime_ref=None if prime is None else prime.ref,
                    prime_name=None if prime is None else prime.name,
                    eligible=reason is None,
                    reason=reason,
                )
            )
        return found


def resolve_ref(reading: Callable[[], UnitOfWork], query: str) -> str | None:
    """The one register entry a query names: its exact ref, or its only match."""
    with reading() as uow:
        matches = find_provider(uow, query, include_inactive=True)
    exact = [m.ref for m in matches if m.ref.casefold() == query.strip().casefold()]
    if len(exact) == 1:
        return exact[0]
    if len(matches) <= 1:
        return matches[0].ref if matches else None
    shown = ", ".join(f"{m.ref} ({m.name})" for m in matches[:10])
    more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
    raise AmbiguousProvider(
        f"{len(matches)} organisations match; choose one by its ref: {shown}{more}"
    )
