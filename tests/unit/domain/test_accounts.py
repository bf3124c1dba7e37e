from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from codeservice.domain.accounts import (
    LockoutPolicy,
    Principal,
    Role,
    SessionPolicy,
    SignInState,
    WeakPassword,
    after_failure,
    after_success,
    check_password,
    failure_delay,
    normalise_username,
    parse_role,
    password_problem,
)
from codeservice.errors import InputError

NOW = datetime(2027, 4, 1, 9, 30, tzinfo=UTC)
POLICY = LockoutPolicy(attempts=10, lock_for=timedelta(minutes=15), max_delay=timedelta(seconds=2))


def test_roles_are_the_four_of_the_issue() -> None:
    assert [role.value for role in Role] == ["bmt", "security", "agent", "admin"]
    assert parse_role(" BMT ") is Role.BMT
    assert Role.AGENT.label == "Helpline agent"


def test_an_unknown_role_names_the_choices() -> None:
    with pytest.raises(InputError, match="bmt, security, agent, admin"):
        parse_role("root")


def test_usernames_are_lower_case_and_plain() -> None:
    assert normalise_username("  Ann.Lee ") == "ann.lee"
    for bad in ("", "a", "1ann", "ann lee", "ann@example.org", "x" * 65, "ánn"):
        with pytest.raises(InputError):
            normalise_username(bad)


def test_a_long_uncommon_password_is_accepted() -> None:
    assert password_problem("vivid otter lamp sky 2027", username="ann") is None
    check_password("Tr0ub4dor&3-staple-x", username="ann")


def test_a_short_password_is_refused_with_the_length() -> None:
    assert password_problem("Xq7!vR2#", username="ann") == (
        "the password must be at least 12 characters long"
    )


def test_a_very_long_password_is_refused() -> None:
    problem = password_problem("vivid otter " * 30, username="ann")
    assert problem == "the password must be at most 256 characters long"


@pytest.mark.parametrize(
    "password", ["password1234", "qwertyuiop123", "iloveyou12345", "aaaaaaaaaaaaaa"]
)
def test_common_or_predictable_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword, match="too easy to guess"):
        check_password(password, username="ann")


def test_a_password_holding_the_username_is_refused() -> None:
    problem = password_problem("vivid-Ann.Lee-otter-lamp", username="ann.lee")
    assert problem == "the password must not contain the username"


def test_the_persons_own_name_counts_against_a_password() -> None:
    assert password_problem("zorvathquellin", username="ann") is None
    assert password_problem("zorvathquellin", username="ann", display_name="Zorvath Quellin")


def test_the_services_own_words_count_against_a_password() -> None:
    assert password_problem("codeservice2027", username="ann")


def test_failures_count_and_the_tenth_locks() -> None:
    state = SignInState(failed_attempts=0, locked_until=None)
    for expected in range(1, 10):
        state = after_failure(state, POLICY, NOW)
        assert state == SignInState(expected, None)
        assert not state.is_locked(NOW)

    state = after_failure(state, POLICY, NOW)

    assert state == SignInState(10, NOW + timedelta(minutes=15))
    assert state.is_locked(NOW + timedelta(minutes=14, seconds=59))
    assert not state.is_locked(NOW + timedelta(minutes=15))


def test_a_failure_after_the_lock_ran_out_starts_a_fresh_count() -> None:
    locked = SignInState(10, NOW)

    state = after_failure(locked, POLICY, NOW + timedelta(seconds=1))

    assert state == SignInState(1, None)


def test_success_clears_the_count() -> None:
    assert after_success() == SignInState(0, None)


def test_the_delay_grows_and_stops_at_the_cap() -> None:
    delays = [failure_delay(n, POLICY).total_seconds() for n in range(0, 12)]

    assert delays[:7] == [0, 0.125, 0.25, 0.5, 1.0, 2.0, 2.0]
    assert max(delays) == 2.0
    assert failure_delay(10_000, POLICY) == timedelta(seconds=2)


def test_a_session_ends_after_idle_time_and_at_the_longest() -> None:
    policy = SessionPolicy(idle=timedelta(minutes=30), longest=timedelta(hours=12))
    started = NOW

    assert policy.is_current(started_at=started, last_seen_at=started, now=NOW)
    assert policy.is_current(
        started_at=started, last_seen_at=started, now=NOW + timedelta(minutes=29)
    )
    assert not policy.is_current(
        started_at=started, last_seen_at=started, now=NOW + timedelta(minutes=30)
    )
    late = NOW + timedelta(hours=12)
    assert not policy.is_current(
        started_at=started, last_seen_at=late - timedelta(minutes=1), now=late
    )


def test_a_session_from_the_future_is_not_current() -> None:
    policy = SessionPolicy(idle=timedelta(minutes=30), longest=timedelta(hours=12))

    assert not policy.is_current(started_at=NOW, last_seen_at=NOW + timedelta(hours=1), now=NOW)


def test_the_audit_names_people_and_machines_apart() -> None:
    assert Principal("user", "ann", Role.BMT).actor == "user:ann"
    assert Principal("token", "crm", Role.AGENT).actor == "token:crm"
    assert Principal("user", "ann", Role.BMT, display_name="Ann Lee").shown_name == "Ann Lee"
