"""When to try a temporary failure again: exponential backoff with full jitter.

Full jitter (a uniform pick between zero and the ceiling) spreads the retries of many
messages that failed together, so a recovering server is not hit by all of them at
once.
"""

from __future__ import annotations

import random
from datetime import timedelta

BASE_SECONDS = 30.0
CAP_SECONDS = 3600.0


def ceiling_seconds(
    attempts: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS
) -> float:
    """The longest wait after the ``attempts``-th failed attempt (1, 2, ...)."""
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    # Cap the exponent first: 2**attempts for a large count would overflow a float.
    return min(cap, base * float(2 ** min(attempts - 1, 32)))


def retry_delay(
    attempts: int,
    rng: random.Random,
    *,
    base: float = BASE_SECONDS,
    cap: float = CAP_SECONDS,
) -> timedelta:
    return timedelta(seconds=rng.uniform(0.0, ceiling_seconds(attempts, base=base, cap=cap)))
