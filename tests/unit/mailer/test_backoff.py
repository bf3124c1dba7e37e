from __future__ import annotations

import random

import pytest

from mailer.backoff import CAP_SECONDS, ceiling_seconds, retry_delay


def test_ceiling_doubles_from_thirty_seconds() -> None:
    assert [ceiling_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_ceiling_is_capped_at_an_hour() -> None:
    assert ceiling_seconds(8) == CAP_SECONDS == 3600
    assert ceiling_seconds(10_000) == 3600


def test_delay_stays_between_zero_and_the_ceiling() -> None:
    rng = random.Random(7)  # noqa: S311 (jitter, not secrecy)
    for attempts in range(1, 15):
        for _ in range(200):
            seconds = retry_delay(attempts, rng).total_seconds()
            assert 0 <= seconds <= ceiling_seconds(attempts)


def test_delay_is_spread_across_the_whole_range() -> None:
    rng = random.Random(11)  # noqa: S311 (jitter, not secrecy)
    delays = [retry_delay(5, rng).total_seconds() for _ in range(2000)]
    assert min(delays) < 0.1 * 480
    assert max(delays) > 0.9 * 480


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError):
        ceiling_seconds(0)
