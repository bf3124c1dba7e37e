from __future__ import annotations

import calendar as stdlib_calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codeservice.domain.calendar import Calendar, CalendarPolicy, Cycle, CycleDates
from codeservice.errors import InputError

LONDON = ZoneInfo("Europe/London")
ONE_MICROSECOND = timedelta(microseconds=1)
CALENDAR = Calendar(CalendarPolicy(tz=LONDON))
NO_MOVE = Calendar(CalendarPolicy(tz=LONDON, holiday_moves_issue_day=False))
ALL_CYCLES = [Cycle(year, month) for year in range(2000, 2101) for month in range(1, 13)]

# The independent reference: another way into the holiday data (UK and England by name
# rather than GB and ENG), looked up once for the whole range, and different date
# arithmetic.
BANK_HOLIDAYS = frozenset(
    holidays.country_holidays("UK", subdiv="England", years=range(1999, 2101)).keys()
)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def expected(cycle: Cycle, moves: bool = True) -> tuple[date, date, date]:
    """(last Wednesday, issue day, activation Monday), walked day by day."""
    year, month = (cycle.year - 1, 12) if cycle.month == 1 else (cycle.year, cycle.month - 1)
    day = stdlib_calendar.monthrange(year, month)[1]
    while stdlib_calendar.weekday(year, month, day) != stdlib_calendar.WEDNESDAY:
        day -= 1
    wednesday = date(year, month, day)
    issue = wednesday
    while moves and (issue.isoweekday() in (6, 7) or issue in BANK_HOLIDAYS):
        issue = date.fromordinal(issue.toordinal() - 1)
    monday = date.fromordinal(wednesday.toordinal() + 5)
    return wednesday, issue, monday


def iso_in_london(day: date, at: str) -> str:
    """The ISO text for a London wall time, its offset found by asking the zone."""
    hour, minute = (int(part) for part in at.split(":"))
    offset = LONDON.utcoffset(datetime(day.year, day.month, day.day, hour, minute))
    assert offset is not None
    hours = int(offset.total_seconds()) // 3600
    return f"{day.isoformat()}T{at}:00+{hours:02d}:00"


# --- worked examples --------------------------------------------------------------


def test_cycle_2027_04_matches_the_spec_example() -> None:
    dates = CALENDAR.dates(Cycle(2027, 4))

    assert dates.to_json() == {
        "cycle": "2027-04",
        "issue_at": "2027-03-31T09:00:00+01:00",
        "active_from": "2027-04-05T00:00:00+01:00",
        "active_until": "2027-05-03T00:00:00+01:00",
    }
    assert dates.issue_at.tzinfo == LONDON
    assert not dates.issue_moved


def test_cycle_2025_01_is_issued_before_christmas_but_activates_on_the_usual_monday() -> None:
    dates = CALENDAR.dates(Cycle(2025, 1))

    assert dates.issue_at.isoformat() == "2024-12-24T09:00:00+00:00"
    assert dates.active_from.isoformat() == "2024-12-30T00:00:00+00:00"
    assert dates.active_until.isoformat() == "2025-02-03T00:00:00+00:00"
    assert dates.last_wednesday == date(2024, 12, 25)
    assert dates.issue_moved


def test_cycle_2031_01_is_issued_before_christmas_2030() -> None:
    dates = CALENDAR.dates(Cycle(2031, 1))

    assert dates.issue_at.isoformat() == "2030-12-24T09:00:00+00:00"
    assert dates.active_from.isoformat() == "2030-12-30T00:00:00+00:00"


def test_a_boxing_day_wednesday_skips_christmas_too() -> None:
    dates = CALENDAR.dates(Cycle(2030, 1))  # Wed 26 Dec 2029; Tue 25 Dec is Christmas

    assert dates.issue_at.isoformat() == "2029-12-24T09:00:00+00:00"
    assert dates.active_from.isoformat() == "2029-12-31T00:00:00+00:00"


def test_holiday_policy_off_keeps_the_wednesday() -> None:
    dates = NO_MOVE.dates(Cycle(2025, 1))

    assert dates.issue_at.isoformat() == "2024-12-25T09:00:00+00:00"
    assert dates.active_from.isoformat() == "2024-12-30T00:00:00+00:00"
    assert not dates.issue_moved


def test_issue_time_is_configurable() -> None:
    later = Calendar(CalendarPolicy(tz=LONDON, issue_time=time(10, 30)))

    assert later.dates(Cycle(2027, 4)).issue_at.isoformat() == "2027-03-31T10:30:00+01:00"


# --- clock changes ----------------------------------------------------------------


def test_issued_in_winter_time_and_active_from_summer_time() -> None:
    dates = CALENDAR.dates(Cycle(2025, 4))  # clocks go forward Sun 30 Mar 2025

    assert dates.issue_at.isoformat() == "2025-03-26T09:00:00+00:00"
    assert dates.active_from.isoformat() == "2025-03-31T00:00:00+01:00"
    assert dates.active_from.astimezone(UTC) == datetime(2025, 3, 30, 23, tzinfo=UTC)


def test_issued_in_summer_time_and_active_from_winter_time() -> None:
    dates = CALENDAR.dates(Cycle(2028, 11))  # clocks go back Sun 29 Oct 2028

    assert dates.issue_at.isoformat() == "2028-10-25T09:00:00+01:00"
    assert dates.active_from.isoformat() == "2028-10-30T00:00:00+00:00"
    assert dates.issue_at.astimezone(UTC) == datetime(2028, 10, 25, 8, tzinfo=UTC)


def test_an_active_period_across_the_october_change_is_an_hour_longer() -> None:
    dates = CALENDAR.dates(Cycle(2025, 10))

    assert dates.active_from.isoformat() == "2025-09-29T00:00:00+01:00"
    assert dates.active_until.isoformat() == "2025-11-03T00:00:00+00:00"
    assert dates.active_until - dates.active_from == timedelta(days=35)  # wall clock
    elapsed = dates.active_until.astimezone(UTC) - dates.active_from.astimezone(UTC)
    assert elapsed == timedelta(days=35, hours=1)


# --- which cycle, when ------------------------------------------------------------


def test_active_until_is_the_next_cycles_active_from() -> None:
    for cycle in (Cycle(2024, 12), Cycle(2025, 1), Cycle(2027, 4), Cycle(2030, 12)):
        assert CALENDAR.dates(cycle).active_until == CALENDAR.dates(cycle.next()).active_from


def test_cycle_in_force_changes_exactly_at_monday_midnight_local() -> None:
    monday = london(2027, 4, 5)

    assert CALENDAR.cycle_in_force(monday) == Cycle(2027, 4)
    assert CALENDAR.cycle_in_force(monday - ONE_MICROSECOND) == Cycle(2027, 3)
    assert CALENDAR.cycle_in_force(datetime(2027, 4, 4, 23, tzinfo=UTC)) == Cycle(2027, 4)
    assert CALENDAR.cycle_in_force(datetime(2027, 4, 4, 22, 59, tzinfo=UTC)) == Cycle(2027, 3)


def test_cycle_in_force_can_start_in_the_previous_month() -> None:
    assert CALENDAR.cycle_in_force(london(2024, 12, 30)) == Cycle(2025, 1)
    assert CALENDAR.cycle_in_force(london(2024, 12, 29, 23, 59)) == Cycle(2024, 12)


def test_next_to_issue_and_latest_issued_change_exactly_at_issue_time() -> None:
    issue_at = london(2027, 3, 31, 9)

    assert CALENDAR.next_to_issue(issue_at - ONE_MICROSECOND) == Cycle(2027, 4)
    assert CALENDAR.latest_issued(issue_at - ONE_MICROSECOND) == Cycle(2027, 3)
    assert CALENDAR.next_to_issue(issue_at) == Cycle(2027, 5)
    assert CALENDAR.latest_issued(issue_at) == Cycle(2027, 4)


def test_between_issue_and_activation_the_old_cycle_is_still_in_force() -> None:
    now = london(2027, 4, 2, 12)

    assert CALENDAR.latest_issued(now) == Cycle(2027, 4)
    assert CALENDAR.cycle_in_force(now) == Cycle(2027, 3)
    assert CALENDAR.next_to_issue(now) == Cycle(2027, 5)


def test_a_moved_issue_day_is_when_the_cycle_counts_as_issued() -> None:
    assert CALENDAR.latest_issued(london(2024, 12, 24, 8, 59)) == Cycle(2024, 12)
    assert CALENDAR.latest_issued(london(2024, 12, 24, 9)) == Cycle(2025, 1)
    assert NO_MOVE.latest_issued(london(2024, 12, 24, 9)) == Cycle(2024, 12)


@pytest.mark.parametrize("method", ["cycle_in_force", "next_to_issue", "latest_issued"])
def test_a_naive_now_is_rejected(method: str) -> None:
    with pytest.raises(ValueError, match="aware"):
        getattr(CALENDAR, method)(datetime(2027, 4, 5))


# --- working days -----------------------------------------------------------------


def test_working_days_leave_out_weekends_and_bank_holidays() -> None:
    assert CALENDAR.is_working_day(date(2024, 12, 24))
    assert not CALENDAR.is_working_day(date(2024, 12, 25))  # Christmas Day
    assert not CALENDAR.is_working_day(date(2025, 4, 18))  # Good Friday
    assert not CALENDAR.is_working_day(date(2025, 4, 21))  # Easter Monday (England)
    assert not CALENDAR.is_working_day(date(2024, 12, 28))  # Saturday
    assert CALENDAR.bank_holiday(date(2024, 12, 25)) == "Christmas Day"
    assert CALENDAR.bank_holiday(date(2024, 12, 24)) is None


def test_previous_and_next_working_day_are_strict_and_skip_holidays() -> None:
    assert CALENDAR.previous_working_day(date(2024, 12, 27)) == date(2024, 12, 24)
    assert CALENDAR.next_working_day(date(2024, 12, 24)) == date(2024, 12, 27)
    assert CALENDAR.previous_working_day(date(2027, 3, 31)) == date(2027, 3, 30)
    assert CALENDAR.next_working_day(date(2027, 3, 31)) == date(2027, 4, 1)
    assert CALENDAR.next_working_day(date(2025, 4, 17)) == date(2025, 4, 22)


def test_days_beyond_the_known_bank_holidays_are_refused_not_guessed() -> None:
    with pytest.raises(InputError, match="known only for"):
        CALENDAR.dates(Cycle(2101, 2))
    # Without the holiday policy no holiday is needed.
    assert NO_MOVE.dates(Cycle(2101, 2)).issue_at.isoformat() == "2101-01-26T09:00:00+00:00"


# --- cycles and ranges ------------------------------------------------------------


def test_cycle_parse_str_next_and_previous() -> None:
    cycle = Cycle.parse("2027-04")

    assert cycle == Cycle(2027, 4)
    assert str(cycle) == "2027-04"
    assert str(Cycle.parse(" 2024-12 ").next()) == "2025-01"
    assert str(Cycle(2025, 1).previous()) == "2024-12"
    assert Cycle(2024, 12) < Cycle(2025, 1) < Cycle(2025, 2)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2027-4", "expected YYYY-MM"),
        ("27-04", "expected YYYY-MM"),
        ("April 2027", "expected YYYY-MM"),
        ("", "expected YYYY-MM"),
        ("2027-04-01", "expected YYYY-MM"),
        ("2027-13", "month must be 01 to 12"),
        ("2027-00", "month must be 01 to 12"),
        ("0000-05", "year must be"),
        ("9999-12", "year must be"),
    ],
)
def test_cycle_parse_explains_bad_input(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as caught:
        Cycle.parse(text)
    assert repr(text) in str(caught.value)


def test_cycle_rejects_an_impossible_month() -> None:
    with pytest.raises(ValueError):
        Cycle(2027, 13)


def test_cycles_lists_an_inclusive_range_in_order() -> None:
    found = CALENDAR.cycles(Cycle(2024, 11), Cycle(2025, 2))

    assert [str(dates.cycle) for dates in found] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert CALENDAR.cycles(Cycle(2027, 4), Cycle(2027, 4)) == [CALENDAR.dates(Cycle(2027, 4))]


def test_cycles_refuses_a_range_that_runs_backwards() -> None:
    with pytest.raises(InputError, match="before"):
        CALENDAR.cycles(Cycle(2027, 4), Cycle(2027, 3))


# --- every cycle 2000-2100 against an independent computation ---------------------


def check_against_reference(cycle: Cycle) -> None:
    dates = CALENDAR.dates(cycle)
    wednesday, issue_day, monday = expected(cycle)

    assert dates.issue_at.isoformat() == iso_in_london(issue_day, "09:00")
    assert dates.active_from.isoformat() == iso_in_london(monday, "00:00")
    assert dates.active_until.isoformat() == iso_in_london(expected(cycle.next())[2], "00:00")
    assert dates.last_wednesday == wednesday
    assert dates.issue_moved == (issue_day != wednesday)

    unmoved = NO_MOVE.dates(cycle)
    assert unmoved.issue_at.isoformat() == iso_in_london(wednesday, "09:00")
    assert unmoved.active_from == dates.active_from


def check_invariants(cycle: Cycle) -> None:
    dates = CALENDAR.dates(cycle)
    following = CALENDAR.dates(cycle.next())
    issue_local = dates.issue_at.astimezone(LONDON)
    active_local = dates.active_from.astimezone(LONDON)

    assert CALENDAR.is_working_day(issue_local.date())
    assert issue_local.date() not in BANK_HOLIDAYS
    assert issue_local.time() == time(9, 0)
    assert issue_local.date() <= dates.last_wednesday
    assert dates.last_wednesday.weekday() == 2
    assert active_local.weekday() == 0
    assert active_local.time() == time(0, 0)
    assert active_local.date() - dates.last_wednesday == timedelta(days=5)
    assert dates.issue_at < dates.active_from < dates.active_until
    assert dates.active_until == following.active_from
    assert dates.issue_at < following.issue_at

    assert CALENDAR.cycle_in_force(dates.active_from) == cycle
    assert CALENDAR.cycle_in_force(dates.active_from - ONE_MICROSECOND) == cycle.previous()
    assert CALENDAR.cycle_in_force(dates.active_until - ONE_MICROSECOND) == cycle
    assert CALENDAR.next_to_issue(dates.issue_at - ONE_MICROSECOND) == cycle
    assert CALENDAR.latest_issued(dates.issue_at) == cycle
    assert CALENDAR.latest_issued(dates.issue_at - ONE_MICROSECOND) == cycle.previous()


cycles_2000_to_2100 = st.builds(Cycle, st.integers(2000, 2100), st.integers(1, 12))


@settings(max_examples=300, deadline=None)
@given(cycles_2000_to_2100)
def test_any_cycle_matches_the_reference(cycle: Cycle) -> None:
    check_against_reference(cycle)


@settings(max_examples=300, deadline=None)
@given(cycles_2000_to_2100)
def test_any_cycle_keeps_the_invariants(cycle: Cycle) -> None:
    check_invariants(cycle)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 10, 31), timezones=st.just(UTC)
    )
)
def test_any_instant_is_in_exactly_one_cycle(now: datetime) -> None:
    cycle = CALENDAR.cycle_in_force(now)
    dates = CALENDAR.dates(cycle)

    assert dates.active_from <= now < dates.active_until
    latest = CALENDAR.dates(CALENDAR.latest_issued(now))
    upcoming = CALENDAR.dates(CALENDAR.next_to_issue(now))
    assert latest.issue_at <= now < upcoming.issue_at
    assert upcoming.cycle == latest.cycle.next()


def test_every_cycle_2000_to_2100_matches_the_reference_and_keeps_the_invariants() -> None:
    assert len(ALL_CYCLES) == 1212
    for cycle in ALL_CYCLES:
        check_against_reference(cycle)
        check_invariants(cycle)
    moved = [str(c) for c in ALL_CYCLES if CALENDAR.dates(c).issue_moved]
    assert {"2025-01", "2030-01", "2031-01"} <= set(moved)
    assert all(c.endswith("-01") for c in moved)  # only Christmas and Boxing Day fall so


def test_cycle_dates_round_trip_through_json_text() -> None:
    dates = CALENDAR.dates(Cycle(2027, 4))
    data = dates.to_json()

    rebuilt = CycleDates(
        cycle=Cycle.parse(data["cycle"]),
        issue_at=datetime.fromisoformat(data["issue_at"]),
        active_from=datetime.fromisoformat(data["active_from"]),
        active_until=datetime.fromisoformat(data["active_until"]),
    )
    assert rebuilt.to_json() == data
