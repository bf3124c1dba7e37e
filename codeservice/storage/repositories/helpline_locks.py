"""PostgreSQL's locks for a helpline check, each taken by a statement that returns a row.

The prime provider's row lock, then (once it is held: the subquery's rows are locked
before the outer query's columns are computed) the audit trail's append lock, in one
statement. Every check appends to the trail, and always in this order (the prime, then
the trail); the next statement reads the trail's head with the prime's state
(``AuditRepository.note_head``), so appending asks nothing. SQLite needs none of them:
the unit of work's BEGIN IMMEDIATE serialises every writer.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, func, select, true

from codeservice.storage.models import Challenge, Provider
from codeservice.storage.repositories.audit import append_lock
from codeservice.storage.repositories.helpline_state import ASKED_BY_REF

_PROVIDERS = cast(Table, Provider.__table__)
_CHALLENGES = cast(Table, Challenge.__table__)

_PRIME_LOCKED = (
    select(_PROVIDERS.c.id)
    .where(_PROVIDERS.c.id == bindparam("provider_id"))
    .with_for_update(key_share=True)
    .subquery("locked")
)
LOCK_PRIME = select(_PRIME_LOCKED.c.id, append_lock()).select_from(_PRIME_LOCKED)
_PRIME_OF_LOCKED = (
    select(_PROVIDERS.c.id)
    .where(
        _PROVIDERS.c.id
        == select(_CHALLENGES.c.provider_id)
        .where(_CHALLENGES.c.id == bindparam("challenge_id"))
        .scalar_subquery()
    )
    .with_for_update(key_share=True)
    .subquery("locked")
)
LOCK_PRIME_OF = select(_PRIME_OF_LOCKED.c.id, append_lock()).select_from(_PRIME_OF_LOCKED)
# A challenge's first statement: ``ASKED_BY_REF``, then (with the row, and as above) the
# prime provider's lock and the trail's, which the check takes next anyway: one round
# trip fewer. The organisation is read as of the statement's start, before any wait,
# as it was by a statement of its own before the lock. A subcontractor's prime is its
# ``prime_id``; a provider without one is its own prime.
_OWN = _PROVIDERS.alias("own")
_PRIME_OF_REF_LOCKED = (
    select(_PROVIDERS.c.id)
    .where(
        _PROVIDERS.c.id
        == select(func.coalesce(_OWN.c.prime_id, _OWN.c.id))
        .where(_OWN.c.ref == bindparam("ref"))
        .scalar_subquery()
    )
    .with_for_update(key_share=True)
    .subquery("locked")
)
ASKED_AND_LOCKED = ASKED_BY_REF.add_columns(
    _PRIME_OF_REF_LOCKED.c.id.label("locked_prime_id"), append_lock()
).outerjoin_from(ASKED_BY_REF.get_final_froms()[0], _PRIME_OF_REF_LOCKED, true())
