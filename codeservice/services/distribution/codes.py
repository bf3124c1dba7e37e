"""Issuing an access code: draw it, make sure it was never used, seal it, store it.

The plain code and unlock code leave this module only in ``IssuedCode``, in memory,
for the caller that builds the document; the database gets sealed envelopes and a
keyed fingerprint. Nothing here writes an audit record: the caller does, without
secrets, as part of the bigger step (a rotation, a reissue).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from random import Random

from codeservice.crypto.keyring import Keyring, code_context
from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import (
    STANDING,
    SYSTEM_RANDOM,
    Alphabet,
    CodeState,
    document_ref,
    generate_access_code,
    generate_unlock_code,
)
from codeservice.errors import CodeserviceError, Conflict
from codeservice.storage.models import AccessCode, Provider
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Among ~10^13 codes a repeat is rare; needing this many draws means something is wrong.
MAX_ATTEMPTS = 25


@dataclass(frozen=True)
class CodeMaterial:
    """A drawn access code, unlock code and document reference, not yet stored.

    Drawn ahead of ``issue_access_code`` when the document must be built first (the
    rotation builds documents in a pool of processes, then commits one by one).
    """

    code: str = field(repr=False)
    unlock_code: str = field(repr=False)
    document_ref: str


@dataclass(frozen=True)
class IssuedCode:
    access_code: AccessCode
    code: str = field(repr=False)
    unlock_code: str = field(repr=False)


def draw_code_material(
    alphabet: Alphabet, provider_ref: str, cycle: Cycle, rng: Random | None = None
) -> CodeMaterial:
    rng = rng or SYSTEM_RANDOM
    return CodeMaterial(
        code=generate_access_code(alphabet, rng),
        unlock_code=generate_unlock_code(rng),
        document_ref=document_ref(provider_ref, str(cycle), rng),
    )


def issue_access_code(
    uow: UnitOfWork,
    keyring: Keyring,
    *,
    provider: Provider,
    cycle: Cycle,
    issue_at: datetime,
    active_from: datetime,
    active_until: datetime,
    now: datetime,
    alphabet: Alphabet,
    replaces: AccessCode | None = None,
    state: CodeState = CodeState.ISSUED,
    material: CodeMaterial | None = None,
    rng: Random | None = None,
) -> IssuedCode:
    """Add a new ``AccessCode`` row (flushed, not committed) and return its plain values.

    ``issue_at`` is stored as the code's ``issued_at``. Without ``material`` the code
    is drawn here (again and again until unused); with it, a code or reference used
    before is refused with ``Conflict`` (draw new material and build a new document).
    ``rng`` is for tests; by default the system's cryptographic source is used.
    """
    if state not in STANDING:
        raise ValueError(f"a new access code is 'issued' or 'active', not {state!r}")
    if not active_from < active_until:
        raise ValueError("active_from must come before active_until")
    if active_until <= now:
        raise Conflict(
            f"cycle {cycle} ended at {active_until.isoformat()}; a code for it would never be used"
        )
    if replaces is not None and replaces.provider_id != provider.id:
        raise ValueError("a replacement code must belong to the same provider")
    _refuse_second_live_code(uow, provider, cycle)

    for _ in range(1 if material is not None else MAX_ATTEMPTS):
        drawn = material or draw_code_material(alphabet, provider.ref, cycle, rng)
        row = _stored_if_unused(uow, keyring, drawn, provider, cycle)
        if row is None:
            continue
        row.state = state
        row.issued_at, row.active_from, row.active_until = issue_at, active_from, active_until
        row.replaces_id = None if replaces is None else replaces.id
        if not uow.codes.add_if_unique(row):
            # Another transaction took this fingerprint or reference, or issued a code
            # for the same provider and cycle, between our check and our insert.
            _refuse_second_live_code(uow, provider, cycle)
            continue
        log.info(
            "issued access code %s for provider %s, cycle %s", row.document_ref, provider.ref, cycle
        )
        return IssuedCode(access_code=row, code=drawn.code, unlock_code=drawn.unlock_code)
    if material is not None:
        raise Conflict(
            f"the access code or document reference drawn for provider {provider.ref} was "
            "used before; draw new material (build a new document) and try again"
        )
    raise CodeserviceError(
        f"no unused access code found after {MAX_ATTEMPTS} draws for provider {provider.ref}; "
        "the alphabet may be too small (check code_excluded_characters)"
    )


def _stored_if_unused(
    uow: UnitOfWork, keyring: Keyring, drawn: CodeMaterial, provider: Provider, cycle: Cycle
) -> AccessCode | None:
    """The sealed row for ``drawn`` (not yet added), or None if its code or ref was used."""
    row = sealed_row(keyring, drawn, provider, cycle)
    if uow.codes.any_used([row.fingerprint], [row.document_ref]):
        return None
    return row


def sealed_row(
    keyring: Keyring, drawn: CodeMaterial, provider: Provider, cycle: Cycle
) -> AccessCode:
    """The new code's row, sealed (not yet added; its state and dates still to set)."""
    fingerprint = keyring.fingerprint(drawn.code)
    sealed_code = keyring.seal(
        drawn.code.encode(), context=code_context(provider.ref, str(cycle), "access-code")
    )
    sealed_unlock = keyring.seal(
        drawn.unlock_code.encode(), context=code_context(provider.ref, str(cycle), "unlock-code")
    )
    key_id = keyring.key_id_of(sealed_unlock)
    if keyring.key_id_of(sealed_code) != key_id:  # another process rotated keys in between
        sealed_code = keyring.reseal(sealed_code)
    row = AccessCode(
        provider_id=provider.id,
        cycle=cycle,
        fingerprint=fingerprint,
        sealed_code=sealed_code,
        sealed_unlock=sealed_unlock,
        key_id=key_id,
        document_ref=drawn.document_ref,
    )
    row.provider = provider
    return row


class SecondLiveCode(Conflict):
    """The provider already has a code for the cycle that has not been revoked."""


def _refuse_second_live_code(uow: UnitOfWork, provider: Provider, cycle: Cycle) -> None:
    live = uow.codes.live_for(provider.id, cycle)
    if live is not None:
        raise SecondLiveCode(
            f"provider {provider.ref} already has a {live.state} access code for cycle {cycle} "
            f"(document {live.document_ref}); revoke it before issuing another"
        )


def reveal_access_code(keyring: Keyring, access_code: AccessCode) -> str:
    return open_access_code(
        keyring, access_code.provider.ref, str(access_code.cycle), access_code.sealed_code
    )


def open_access_code(keyring: Keyring, provider_ref: str, cycle: str, sealed: bytes) -> str:
    """A sealed access code opened in memory: sealed for its provider and cycle, it opens
    only with that same context."""
    context = code_context(provider_ref, cycle, "access-code")
    return keyring.open(sealed, context=context).decode()


def reveal_unlock_code(keyring: Keyring, access_code: AccessCode) -> str:
    context = code_context(access_code.provider.ref, str(access_code.cycle), "unlock-code")
    return keyring.open(access_code.sealed_unlock, context=context).decode()
