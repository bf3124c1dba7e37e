"""What a helpline check needs about a prime provider, read in one statement as plain rows.

Once the prime provider's lock is held, a challenge and an answer each need its lock
state today, its code in force and (a challenge) its latest challenge; an answer also
needs the challenge and both providers' names. Through the ORM that was four or five
statements of 0.2–0.7 ms CPU each; here it is one, its rows plain frozen dataclasses
(``helpline_rows``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, func, not_, or_, select
from sqlalchemy.orm import Session

from codeservice.domain.audit_anchor import ChainHead
from codeservice.domain.codes import CodeState
from codeservice.storage.models import AccessCode, Challenge, Provider, VerificationLock
from codeservice.storage.repositories.audit import HEAD_HASH, HEAD_SEQ, head_of
from codeservice.storage.repositories.helpline_rows import (
    AskedRow,
    ChallengeRow,
    CodeRow,
    LockState,
    PastRow,
    PrimeState,
    ProviderName,
)

_CODES = cast(Table, AccessCode.__table__)
_CHALLENGES = cast(Table, Challenge.__table__)
_LOCKS = cast(Table, VerificationLock.__table__)
_PROVIDERS = cast(Table, Provider.__table__)


def _state_columns(prime_id: ColumnElement[int]) -> list[ColumnElement[Any]]:
    """Today's lock state of the prime provider ``prime_id`` names (``day`` and
    ``day_start`` are parameters), as scalar subqueries."""
    of_day = (_LOCKS.c.provider_id == prime_id, _LOCKS.c.day == bindparam("day"))
    since = bindparam("day_start", type_=_CHALLENGES.c.answered_at.type)
    return [
        select(func.count())
        .select_from(_LOCKS)
        .where(*of_day, _LOCKS.c.unlocked_at.is_(None))
        .scalar_subquery()
        .label("open_locks"),
        select(func.count()).select_from(_LOCKS).where(*of_day).scalar_subquery().label("locks"),
        select(func.max(_LOCKS.c.unlocked_at))
        .where(*of_day)
        .scalar_subquery()
        .label("last_unlocked_at"),
        select(func.count())
        .select_from(_CHALLENGES)
        .where(
            _CHALLENGES.c.provider_id == prime_id,
            _CHALLENGES.c.result == "fail",
            _CHALLENGES.c.answered_at >= since,
        )
        .scalar_subquery()
        .label("fails_today"),
    ]


def in_force(
    now: datetime | ColumnElement[datetime], codes: Any = AccessCode
) -> ColumnElement[bool]:
    """Codes whose active period holds ``now`` and that were not revoked by then.

    The ``state`` column is not trusted for issued→active (the scheduler may switch it a
    little late); a code marked revoked without a time is never in force. ``codes``: the
    model, or its table's columns (``_CODES.c``) for a plain Core statement, which
    SQLAlchemy runs without the ORM's work on every execution.
    """
    return and_(
        codes.active_from <= now,
        codes.active_until > now,
        or_(codes.revoked_at.is_(None), codes.revoked_at > now),
        not_(and_(codes.state == CodeState.REVOKED, codes.revoked_at.is_(None))),
    )


_CODE = _CODES.alias("code")
_CODE_COLUMNS = (
    _CODE.c.id.label("code_id"),
    _CODE.c.cycle.label("code_cycle"),
    _CODE.c.sealed_code.label("code_sealed"),
    _CODE.c.document_ref.label("code_document_ref"),
)


def _code_of(prime_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Join on the code in force at ``now`` (a parameter), if there is one:
    ``HelplineRepository.code_in_force``'s choice."""
    now = bindparam("now", type_=_CODES.c.active_from.type)
    chosen = (
        select(_CODES.c.id)
        .where(_CODES.c.provider_id == prime_id, in_force(now, _CODES.c))
        .order_by(_CODES.c.active_from.desc(), _CODES.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return _CODE.c.id == chosen


_PRIME = _PROVIDERS.alias("prime")
# The audit trail's head, read with the state: once the prime's lock is held, the
# trail's is too (``HelplineRepository.lock_prime``), and every check appends a record.
_HEAD_COLUMNS = (HEAD_SEQ.label("audit_seq"), HEAD_HASH.label("audit_hash"))
_LATEST = _CHALLENGES.alias("latest")
_LATEST_ID = (
    select(_CHALLENGES.c.id)
    .where(_CHALLENGES.c.provider_id == _PRIME.c.id)
    .order_by(_CHALLENGES.c.created_at.desc())
    .limit(1)
    .scalar_subquery()
)
_PRIME_STATE = (
    select(
        *_state_columns(_PRIME.c.id),
        *_CODE_COLUMNS,
        _LATEST.c.positions.label("latest_positions"),
        _LATEST.c.created_at.label("latest_created_at"),
        _LATEST.c.answered_at.label("latest_answered_at"),
        _LATEST.c.result.label("latest_result"),
        *_HEAD_COLUMNS,
    )
    .select_from(
        _PRIME.outerjoin(_LATEST, _LATEST.c.id == _LATEST_ID).outerjoin(
            _CODE, _code_of(_PRIME.c.id)
        )
    )
    .where(_PRIME.c.id == bindparam("prime_id"))
)

_ASKED = _PROVIDERS.alias("asked")
_OF_ASKED = _PROVIDERS.alias("of_asked")  # a subcontractor's prime
ASKED_BY_REF = (
    select(
        _ASKED.c.id,
        _ASKED.c.ref,
        _ASKED.c.name,
        _ASKED.c.active,
        _ASKED.c.prime_id,
        _ASKED.c.security_plan_approved_on,
        _OF_ASKED.c.id.label("prime_row_id"),
        _OF_ASKED.c.ref.label("prime_ref"),
        _OF_ASKED.c.name.label("prime_name"),
        _OF_ASKED.c.active.label("prime_active"),
        _OF_ASKED.c.prime_id.label("prime_prime_id"),
        _OF_ASKED.c.security_plan_approved_on.label("prime_plan_approved_on"),
    )
    .select_from(_ASKED.outerjoin(_OF_ASKED, _OF_ASKED.c.id == _ASKED.c.prime_id))
    .where(_ASKED.c.ref == bindparam("ref"))
)
_TO_ANSWER = _CHALLENGES.alias("to_answer")
_CHALLENGE_TO_ANSWER = (
    select(
        _TO_ANSWER.c.id,
        _TO_ANSWER.c.positions,
        _TO_ANSWER.c.expires_at,
        _TO_ANSWER.c.answered_at,
        _ASKED.c.id.label("asked_id"),
        _ASKED.c.ref.label("asked_ref"),
        _ASKED.c.name.label("asked_name"),
        _PRIME.c.id.label("prime_id"),
        _PRIME.c.ref.label("prime_ref"),
        _PRIME.c.name.label("prime_name"),
        *_state_columns(_TO_ANSWER.c.provider_id),
        *_CODE_COLUMNS,
        *_HEAD_COLUMNS,
    )
    .select_from(
        _TO_ANSWER.join(_PRIME, _PRIME.c.id == _TO_ANSWER.c.provider_id)
        .join(_ASKED, _ASKED.c.id == _TO_ANSWER.c.asked_for_provider_id)
        .outerjoin(_CODE, _code_of(_TO_ANSWER.c.provider_id))
    )
    .where(_TO_ANSWER.c.id == bindparam("challenge_id"))
)
_LOCK_STATE = select(*_state_columns(bindparam("prime_id")))


def _lock(row: Any) -> LockState:
    return LockState(
        open=row.open_locks > 0,
        count=row.locks,
        last_unlocked_at=row.last_unlocked_at,
        fails_today=row.fails_today,
    )


def _state(row: Any, latest: PastRow | None = None) -> PrimeState:
    code = (
        None
        if row.code_id is None
        else CodeRow(row.code_id, row.code_cycle, row.code_sealed, row.code_document_ref)
    )
    return PrimeState(lock=_lock(row), code=code, latest=latest)


def asked_by_ref(session: Session, ref: str) -> AskedRow | None:
    return asked_row(session.execute(ASKED_BY_REF, {"ref": ref}).one_or_none())


def asked_row(row: Any) -> AskedRow | None:
    """An ``ASKED_BY_REF`` row (None: no provider with that ref) as an ``AskedRow``."""
    if row is None:
        return None
    own = ProviderName(row.id, row.ref, row.name)
    if row.prime_id is None:  # a prime provider: its own prime, covered by its own plan
        return AskedRow(
            row.id,
            row.ref,
            row.name,
            row.active,
            True,
            own,
            None,
            None,
            row.security_plan_approved_on is not None,
        )
    has_prime = row.prime_row_id is not None
    return AskedRow(
        row.id,
        row.ref,
        row.name,
        row.active,
        False,
        ProviderName(row.prime_row_id, row.prime_ref, row.prime_name) if has_prime else None,
        row.prime_active if has_prime else None,
        row.prime_prime_id is None if has_prime else None,
        (row.prime_plan_approved_on if has_prime else row.security_plan_approved_on) is not None,
    )


def prime_state(
    session: Session, prime_id: int, *, day: date, day_start: datetime, now: datetime
) -> tuple[PrimeState, ChainHead | None]:
    """The state, and the audit trail's head as it is now."""
    values = {"prime_id": prime_id, "day": day, "day_start": day_start, "now": now}
    row = session.execute(_PRIME_STATE, values).one()
    latest = (
        None
        if row.latest_positions is None
        else PastRow(
            row.latest_positions, row.latest_created_at, row.latest_answered_at, row.latest_result
        )
    )
    return _state(row, latest), head_of(row)


def challenge_to_answer(
    session: Session, challenge_id: str, *, day: date, day_start: datetime, now: datetime
) -> tuple[ChallengeRow, ChainHead | None] | None:
    """The challenge, and the audit trail's head as it is now; None: no such challenge."""
    values = {"challenge_id": challenge_id, "day": day, "day_start": day_start, "now": now}
    row = session.execute(_CHALLENGE_TO_ANSWER, values).one_or_none()
    if row is None:
        return None
    return ChallengeRow(
        id=row.id,
        positions=row.positions,
        expires_at=row.expires_at,
        answered_at=row.answered_at,
        asked=ProviderName(row.asked_id, row.asked_ref, row.asked_name),
        prime=ProviderName(row.prime_id, row.prime_ref, row.prime_name),
        state=_state(row),
    ), head_of(row)


def lock_state(session: Session, prime_id: int, *, day: date, day_start: datetime) -> LockState:
    values = {"prime_id": prime_id, "day": day, "day_start": day_start}
    return _lock(session.execute(_LOCK_STATE, values).one())
