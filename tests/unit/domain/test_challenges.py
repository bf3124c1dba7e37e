from __future__ import annotations

import secrets
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from scipy.stats import chisquare

from codeservice.domain.challenges import (
    NO_LONGER_ACTIVE,
    NOT_LISTED,
    PRIME_NOT_ACTIVE,
    REUSE_WINDOW,
    AnswerMalformed,
    Organisation,
    PastChallenge,
    answer_matches,
    counts_towards_lock,
    disclosed_positions,
    draw_positions,
    exposure_flagged,
    format_positions,
    ineligibility,
    local_day,
    lock_due,
    normalise_answer,
    parse_positions,
    positions_to_reuse,
    start_of_day,
)
from codeservice.domain.security_plan import NO_SECURITY_PLAN, PRIME_NO_SECURITY_PLAN

LONDON = ZoneInfo("Europe/London")
CODE = "aB3dE5fG"
NOW = datetime(2027, 4, 14, 10, 0, tzinfo=UTC)


def test_positions_are_uniform_over_the_56_sets() -> None:
    """Drawn as the service draws them, from the system's random source.

    A uniform sampler fails a test at p = 0.001 once in a thousand runs, so a failure
    is drawn again once: a real bias fails both, a fair sampler fails both once in a
    million runs.
    """
    sets = list(combinations(range(1, 9), 3))
    assert len(sets) == 56

    def p_value() -> float:
        counts = Counter(draw_positions() for _ in range(56_000))
        assert set(counts) == set(sets)
        return float(chisquare([counts[s] for s in sets]).pvalue)

    assert p_value() > 0.001 or p_value() > 0.001


def test_positions_are_three_distinct_in_order() -> None:
    rng = secrets.SystemRandom()
    for _ in range(1000):
        positions = draw_positions(rng)
        assert len(set(positions)) == 3
        assert list(positions) == sorted(positions)
        assert all(1 <= p <= 8 for p in positions)


def test_positions_round_trip_as_text() -> None:
    assert format_positions((2, 5, 8)) == "2,5,8"
    assert parse_positions("2,5,8") == (2, 5, 8)
    for bad in ("2,5", "2,2,8", "0,5,8", "2,5,9", "1,2,3,4"):
        with pytest.raises(ValueError):
            parse_positions(bad)


def test_the_right_characters_pass() -> None:
    assert answer_matches(CODE, (2, 5, 8), "BEG")
    assert answer_matches(CODE, (1, 3, 6), "a35")


def test_a_wrong_case_or_character_fails() -> None:
    assert not answer_matches(CODE, (2, 5, 8), "beg")
    assert not answer_matches(CODE, (2, 5, 8), "BEg")
    assert not answer_matches(CODE, (2, 5, 8), "BEX")
    assert not answer_matches(CODE, (2, 5, 8), "GEB")


def test_the_comparison_is_constant_time() -> None:
    # The comparison is hmac.compare_digest, whose time does not depend on where the
    # first difference is; no short-circuit comparison is in the function.
    assert "compare_digest" in answer_matches.__code__.co_names
    assert "hmac" in answer_matches.__code__.co_names


def test_an_answer_must_be_three_characters() -> None:
    assert normalise_answer("BEG") == "BEG"
    assert normalise_answer(" B E G ") == "BEG"
    for bad in ("", "BE", "BEGX", "   "):
        with pytest.raises(AnswerMalformed) as raised:
            normalise_answer(bad)
        assert "exactly three characters" in str(raised.value)
        assert raised.value.code == "answer_malformed"


def test_the_malformed_answer_message_never_repeats_the_answer() -> None:
    with pytest.raises(AnswerMalformed) as raised:
        normalise_answer("Qz7W")
    assert "Qz7W" not in str(raised.value)


def test_positions_are_reused_after_a_fail_within_the_hour() -> None:
    failed = PastChallenge(
        positions=(2, 5, 8),
        created_at=NOW - timedelta(minutes=20),
        answered_at=NOW - timedelta(minutes=18),
        result="fail",
    )
    assert positions_to_reuse(failed, NOW) == (2, 5, 8)
    later = NOW - timedelta(minutes=18) + REUSE_WINDOW
    assert positions_to_reuse(failed, later - timedelta(seconds=1)) == (2, 5, 8)
    assert positions_to_reuse(failed, later) is None


def test_positions_are_reused_after_an_unanswered_challenge() -> None:
    unanswered = PastChallenge(positions=(1, 4, 6), created_at=NOW - timedelta(minutes=30))
    assert positions_to_reuse(unanswered, NOW) == (1, 4, 6)
    assert positions_to_reuse(unanswered, NOW + timedelta(minutes=30)) is None


def test_positions_are_fresh_after_a_pass_or_with_no_history() -> None:
    passed = PastChallenge(
        positions=(2, 5, 8), created_at=NOW, answered_at=NOW + timedelta(minutes=1), result="pass"
    )
    assert positions_to_reuse(passed, NOW + timedelta(minutes=2)) is None
    assert positions_to_reuse(None, NOW) is None


def test_fails_count_today_and_after_the_last_unlock() -> None:
    day_start = start_of_day(date(2027, 4, 14), LONDON)
    assert day_start == datetime(2027, 4, 13, 23, 0, tzinfo=UTC)  # BST
    fails = [day_start - timedelta(minutes=5), day_start, day_start + timedelta(hours=3)]

    def counted(unlocked_at: datetime | None) -> int:
        return sum(
            counts_towards_lock(f, day_start=day_start, unlocked_at=unlocked_at) for f in fails
        )

    assert counted(None) == 2
    assert counted(day_start + timedelta(hours=1)) == 1
    assert counted(fails[2]) == 0


def test_the_lock_falls_at_the_limit() -> None:
    assert not lock_due(2, 3)
    assert lock_due(3, 3)
    assert lock_due(4, 3)


def test_the_local_day_follows_the_time_zone() -> None:
    late = datetime(2027, 4, 13, 23, 30, tzinfo=UTC)  # 00:30 BST on the 14th
    assert local_day(late, LONDON) == date(2027, 4, 14)
    assert start_of_day(date(2027, 1, 14), LONDON) == datetime(2027, 1, 14, 0, 0, tzinfo=UTC)


def test_exposure_counts_distinct_positions() -> None:
    disclosed = disclosed_positions([(1, 2, 3), (2, 3, 4), (6, 7, 8)])
    assert disclosed == {1, 2, 3, 4, 6, 7, 8}
    assert exposure_flagged(disclosed, 7)
    assert not exposure_flagged(disclosed, 8)
    assert disclosed_positions([]) == frozenset()
    assert not exposure_flagged(frozenset(), 7)


def sub(
    *,
    active: bool = True,
    prime_active: bool = True,
    prime_is_prime: bool = True,
    plan_approved: bool = True,
) -> Organisation:
    return Organisation(
        "SUB101",
        active=active,
        is_prime=False,
        prime_active=prime_active,
        prime_is_prime=prime_is_prime,
        plan_approved=plan_approved,
    )


def prime(*, active: bool = True, plan_approved: bool = True) -> Organisation:
    return Organisation("PRV001", active=active, is_prime=True, plan_approved=plan_approved)


def test_eligibility() -> None:
    assert ineligibility(None) == NOT_LISTED
    assert ineligibility(prime()) is None
    assert ineligibility(prime(active=False)) == NO_LONGER_ACTIVE
    assert ineligibility(sub()) is None
    assert ineligibility(sub(active=False)) == NO_LONGER_ACTIVE
    assert ineligibility(sub(prime_active=False)) == PRIME_NOT_ACTIVE
    assert ineligibility(sub(prime_is_prime=False)) == NOT_LISTED


def test_without_an_approved_security_plan_a_provider_is_not_on_the_list() -> None:
    """§17–18: a prime without an approved plan, and its subcontractors, are refused."""
    assert ineligibility(prime(plan_approved=False)) == NO_SECURITY_PLAN
    assert ineligibility(Organisation("PRV001", active=True, is_prime=True)) == NO_SECURITY_PLAN
    assert ineligibility(sub(plan_approved=False)) == PRIME_NO_SECURITY_PLAN
    assert "no approved security plan" in PRIME_NO_SECURITY_PLAN
    assert ineligibility(prime(active=False, plan_approved=False)) == NO_LONGER_ACTIVE
