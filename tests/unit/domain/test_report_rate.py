from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from codeservice.domain.incidents import TooManyReports, check_report_rate

NOW = datetime(2027, 4, 1, 9, 30, tzinfo=UTC)


def _minutes_ago(*minutes: int) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_fewer_than_the_limit_in_the_hour_are_allowed() -> None:
    check_report_rate(_minutes_ago(1, 2, 3, 4), limit=5, now=NOW)
    check_report_rate(_minutes_ago(1, 2, 3, 4, 60, 90), limit=5, now=NOW)  # two are older


def test_the_limit_reached_says_when_the_next_is_allowed() -> None:
    with pytest.raises(TooManyReports) as refused:
        check_report_rate(_minutes_ago(50, 40, 30, 20, 10), limit=5, now=NOW)
    assert refused.value.retry_at == NOW + timedelta(minutes=10)
    assert refused.value.limit == 5 and refused.value.status_code == 429


def test_over_the_limit_waits_until_enough_have_left_the_hour() -> None:
    with pytest.raises(TooManyReports) as refused:
        check_report_rate(_minutes_ago(55, 50, 5, 4, 3, 2, 1), limit=5, now=NOW)
    # 7 in the hour: the next is allowed once only 4 are left, when the one sent
    # 5 minutes ago leaves the hour (after the 55- and 50-minute ones).
    assert refused.value.retry_at == NOW + timedelta(minutes=55)
