"""One provider as the BMT sees it: details, security plan, SPoCs, codes and history.

The codes are shown by cycle and state only, never the code or the unlock code. The
history is the audit trail's records that name the provider's ref (newest first),
each worded as who did what and when; the audit trail holds no secrets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from codeservice.domain.codes import CodeState
from codeservice.errors import NotFound
from codeservice.services.register.providers import ProviderView, list_register
from codeservice.services.staff.actors import actor_names
from codeservice.storage.uow import UnitOfWork

HISTORY_SHOWN = 100
_NOT_SHOWN = {"file", "sha256", "changed", "provider", "provider_ref", "ref", "warnings", "spoc"}


@dataclass(frozen=True)
class CodeLine:
    cycle: str
    state: CodeState
    issued_at: datetime
    active_from: datetime
    active_until: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str
    action: str
    what: str


@dataclass(frozen=True)
class SpocLine:
    id: int
    name: str
    email: str
    active: bool


@dataclass(frozen=True)
class ProviderPage:
    view: ProviderView
    spocs: list[SpocLine]  # every SPoC, active or not, in the order added
    codes: list[CodeLine]
    history: list[HistoryLine]


def provider_page(uow: UnitOfWork, ref: str) -> ProviderPage:
    """The provider ``ref`` (active or not); NotFound if the register has no such ref.
    Reads only: the caller opens ``container.read_uow()``."""
    view = next((v for v in list_register(uow, include_inactive=True) if v.ref == ref), None)
    if view is None:
        raise NotFound("There is no provider with this reference on the register")
    provider = uow.register.get_provider(ref)
    if provider is None:
        raise NotFound("There is no provider with this reference on the register")
    codes = [
        CodeLine(
            str(code.cycle),
            code.state,
            code.issued_at,
            code.active_from,
            code.active_until,
            code.revoked_at,
        )
        for code in uow.codes.of_provider(provider.id)
    ]
    records = uow.audit.mentioning(ref, HISTORY_SHOWN)
    names = actor_names(uow, (record.actor for record in records))
    own = [s for s in uow.register.all_spocs() if s.provider_id == provider.id]
    spocs = {s.id: s.name for s in own}
    spoc_lines = [SpocLine(s.id, s.name, s.email, s.active) for s in own]
    history = []
    for record in records:
        details: dict[str, Any] = json.loads(record.details or "{}")
        if not _about(details, ref):
            continue
        history.append(
            HistoryLine(record.at, names[record.actor], record.action, _what(details, ref, spocs))
        )
    return ProviderPage(view, spoc_lines, codes, history)


def _about(details: dict[str, Any], ref: str) -> bool:
    """Whether a record whose text holds ``ref`` is about this provider."""
    changed = details.get("changed")
    if isinstance(changed, dict) and ref in changed:
        return True
    return ref in (details.get("provider"), details.get("provider_ref"), details.get("ref"))


def _what(details: dict[str, Any], ref: str, spocs: dict[int, str]) -> str:
    """The record's details in a line: what changed for this provider, and the rest."""
    said: list[str] = []
    changed = details.get("changed")
    if isinstance(changed, str):  # a single change made in a form
        spoc = details.get("spoc")
        said.append(f"{changed}: {spocs[spoc]}" if spoc in spocs else changed)
    if isinstance(changed, dict) and isinstance(changed.get(ref), list):
        said.append(", ".join(str(kind) for kind in changed[ref]))
        if details.get("file"):
            said.append(f"from {details['file']}")
        return "; ".join(said)
    for key, value in sorted(details.items()):
        if key in _NOT_SHOWN or isinstance(value, dict | list) or value in (None, ""):
            continue
        said.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(said)
