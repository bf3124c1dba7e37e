"""The rows a helpline check reads (``helpline_state``'s statements): plain frozen
dataclasses, what the helpline's use cases are handed instead of ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from codeservice.domain.calendar import Cycle


@dataclass(frozen=True)
class ProviderName:
    id: int
    ref: str
    name: str


@dataclass(frozen=True)
class AskedRow:
    """The organisation a caller names, as eligibility needs it: its prime (itself for a
    prime provider; None for a subcontractor whose prime is gone) and whether the plan
    that covers it (its prime's, for a subcontractor) is approved."""

    id: int
    ref: str
    name: str
    active: bool
    is_prime: bool
    prime: ProviderName | None
    prime_active: bool | None
    prime_is_prime: bool | None
    plan_approved: bool


@dataclass(frozen=True)
class CodeRow:
    """The code in force, sealed: opened only to compare an answer."""

    id: int
    cycle: Cycle
    sealed_code: bytes
    document_ref: str


@dataclass(frozen=True)
class LockState:
    """The prime provider's locks today and its fails since the day began (every one,
    whether or not it counts towards a lock: ``ensure_lock`` applies the rule)."""

    open: bool
    count: int
    last_unlocked_at: datetime | None
    fails_today: int


@dataclass(frozen=True)
class PastRow:
    positions: str
    created_at: datetime
    answered_at: datetime | None
    result: str | None


@dataclass(frozen=True)
class PrimeState:
    lock: LockState
    code: CodeRow | None
    latest: PastRow | None = None


@dataclass(frozen=True)
class ChallengeRow:
    """A challenge to answer, as it is now, with its providers and its prime's state."""

    id: str
    positions: str
    expires_at: datetime
    answered_at: datetime | None
    asked: ProviderName
    prime: ProviderName
    state: PrimeState
