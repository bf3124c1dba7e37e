"""The helpline's access code security check (§21–23), as pure rules.

An agent asks the caller for three characters of the provider's eight-character code;
the agent never sees the code. The rules here decide which positions to ask for, whether
an answer matches, when a provider's verification is locked and how exposed a code is.
Everything takes plain data and ``now``; randomness is injected.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from typing import Literal
from zoneinfo import ZoneInfo

from codeservice.domain.codes import CODE_LENGTH
from codeservice.domain.security_plan import NO_SECURITY_PLAN, PRIME_NO_SECURITY_PLAN
from codeservice.errors import CodeserviceError, Conflict, InputError, NotFound

CHALLENGE_SIZE = 3
PASS: Literal["pass"] = "pass"  # noqa: S105 (a result, not a password)
FAIL: Literal["fail"] = "fail"
Result = Literal["pass", "fail"]
Positions = tuple[int, ...]
# A caller who failed is asked for the same positions again for this long (§23: call
# back with the right code, not with a hope of easier positions).
REUSE_WINDOW = timedelta(hours=1)

NOT_LISTED = "not on the approved list"
NO_LONGER_ACTIVE = "no longer active"
PRIME_NOT_ACTIVE = "its prime provider is no longer active"

_system_random = secrets.SystemRandom()


# --- errors an agent or the API sees ---------------------------------------------------


class NotEligible(CodeserviceError):
    code = "not_eligible"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ProviderNotFound(NotFound):
    code = "provider_not_found"


class AmbiguousProvider(InputError):
    code = "ambiguous_provider"


class NoCodeInForce(Conflict):
    code = "no_code_in_force"


class ChallengeNotFound(NotFound):
    code = "challenge_not_found"


class ChallengeExpired(Conflict):
    code = "challenge_expired"


class ChallengeAnswered(Conflict):
    code = "challenge_answered"


class VerificationLocked(Conflict):
    code = "verification_locked"


class NotLocked(Conflict):
    code = "not_locked"


class AnswerMalformed(InputError):
    code = "answer_malformed"


# --- eligibility (§21) --------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    """A register entry as the eligibility rule needs it; ``prime_*`` for subcontractors.

    ``plan_approved``: DWP holds the approved security plan that covers it (§17–18),
    for a subcontractor its prime provider's.
    """

    ref: str
    active: bool
    is_prime: bool
    prime_active: bool | None = None
    prime_is_prime: bool | None = None
    plan_approved: bool = False


def ineligibility(organisation: Organisation | None) -> str | None:
    """Why the caller's organisation may not use the service, or None if it may."""
    if organisation is None:
        return NOT_LISTED
    if not organisation.active:
        return NO_LONGER_ACTIVE
    if organisation.is_prime:
        return None if organisation.plan_approved else NO_SECURITY_PLAN
    if not organisation.prime_is_prime:
        return NOT_LISTED  # its "prime" is itself a subcontractor: no code to check
    if not organisation.prime_active:
        return PRIME_NOT_ACTIVE
    return None if organisation.plan_approved else PRIME_NO_SECURITY_PLAN


# --- positions and answers (§22) ------------------------------------------------------


def draw_positions(rng: Random = _system_random) -> Positions:
    """Three distinct positions of 1–8, every one of the 56 sets equally likely."""
    return tuple(sorted(rng.sample(range(1, CODE_LENGTH + 1), CHALLENGE_SIZE)))


def format_positions(positions: Positions) -> str:
    return ",".join(str(p) for p in positions)


def parse_positions(text: str) -> Positions:
    positions = tuple(int(part) for part in text.split(","))
    if (
        len(positions) != CHALLENGE_SIZE
        or len(set(positions)) != CHALLENGE_SIZE
        or not all(1 <= p <= CODE_LENGTH for p in positions)
    ):
        raise ValueError(f"not a set of {CHALLENGE_SIZE} positions of 1-{CODE_LENGTH}: {text!r}")
    return positions


def normalise_answer(characters: str) -> str:
    """The characters as given, without spaces an agent may type between them.

    The message never repeats what was typed: it may be most of the answer.
    """
    given = "".join(characters.split())
    if len(given) != CHALLENGE_SIZE:
        raise AnswerMalformed(
            "give exactly three characters, one for each position asked, in that order"
        )
    return given


def answer_matches(code: str, positions: Positions, given: str) -> bool:
    """Case-sensitive and constant-time: the time taken does not say which one was wrong."""
    expected = "".join(code[p - 1] for p in positions)
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


# --- no shopping for positions (§23) ------------------------------------------------


@dataclass(frozen=True)
class PastChallenge:
    positions: Positions
    created_at: datetime
    answered_at: datetime | None = None
    result: str | None = None


def positions_to_reuse(
    latest: PastChallenge | None, now: datetime, window: timedelta = REUSE_WINDOW
) -> Positions | None:
    """The positions the next challenge must ask for again, if any.

    After a fail within the window, the caller gets the same positions. A challenge left
    unanswered counts as a fail here (not towards the lock): otherwise a caller could
    hang up on positions they do not know and call back for others.
    """
    if latest is None or latest.result == PASS:
        return None
    last_moment = latest.answered_at or latest.created_at
    if now - last_moment < window:
        return latest.positions
    return None


# --- locking ----------------------------------------------------------------------


def local_day(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def counts_towards_lock(
    failed_at: datetime, *, day_start: datetime, unlocked_at: datetime | None
) -> bool:
    """A fail counts on its own day, and only after the security team last unlocked it."""
    return failed_at >= day_start and (unlocked_at is None or failed_at > unlocked_at)


def lock_due(fails: int, limit: int) -> bool:
    return fails >= limit


# --- exposure -----------------------------------------------------------------------


def disclosed_positions(answered: Iterable[Positions]) -> frozenset[int]:
    """Positions whose characters were spoken on a call, passed or failed."""
    return frozenset(p for positions in answered for p in positions)


def exposure_flagged(disclosed: Collection[int], limit: int) -> bool:
    """An eavesdropper on enough calls knows all but a guessable few characters."""
    return len(disclosed) >= limit
