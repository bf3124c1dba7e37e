from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codeservice.domain.throttle import AddressPolicy, AddressWindow, after_address_failure

NOW = datetime(2027, 4, 1, 9, 30, tzinfo=UTC)
POLICY = AddressPolicy(attempts=30, window=timedelta(minutes=15))


def test_an_address_is_refused_after_its_thirtieth_failure_until_the_window_ends() -> None:
    window = AddressWindow(started=None, failures=0)
    for second in range(30):
        assert window.refused_until(POLICY, NOW + timedelta(seconds=second)) is None
        window = after_address_failure(window, POLICY, NOW + timedelta(seconds=second))

    assert window == AddressWindow(started=NOW, failures=30)
    assert window.refused_until(POLICY, NOW + timedelta(minutes=1)) == NOW + timedelta(minutes=15)
    assert window.refused_until(POLICY, NOW + timedelta(minutes=15)) is None


def test_a_failure_after_the_window_starts_a_new_one() -> None:
    full = AddressWindow(started=NOW, failures=30)

    later = after_address_failure(full, POLICY, NOW + timedelta(minutes=15))

    assert later == AddressWindow(started=NOW + timedelta(minutes=15), failures=1)
    assert later.refused_until(POLICY, NOW + timedelta(minutes=15)) is None


def test_failures_within_the_window_add_up_from_its_start() -> None:
    window = after_address_failure(AddressWindow(NOW, 3), POLICY, NOW + timedelta(minutes=14))

    assert window == AddressWindow(started=NOW, failures=4)
    assert window.ends(POLICY) == NOW + timedelta(minutes=15)
