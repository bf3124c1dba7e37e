"""Cycles and their dates (§47): when a code is issued and when it is in force.

Cycle ``YYYY-MM`` is named by the month in which its code is mostly used. It is issued
on the last Wednesday of the previous month (moved to the previous working day when
that Wednesday is a bank holiday in England and Wales, if the policy says so) and is
active from 00:00 on the Monday after that Wednesday until the next cycle is active.
The Monday is always computed from the Wednesday itself, never from a moved issue day,
so providers see the same switch-over whatever happens to the issue day.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from codeservice.errors import InputError

WEDNESDAY = 2
_ACTIVATION_DELAY = timedelta(days=5)  # Wednesday to the following Monday
_CYCLE_TEXT = re.compile(r"(\d{4})-(\d{2})")

EARLIEST_DAY = date(2011, 6, 1)
"""The Work Programme began on 1 June 2011. No security plan was received and no change
of circumstances happened before it, so an earlier date typed in a form or a file is a
slip (0211 for 2011) and is refused, not stored."""
EARLIEST_DAY_TEXT = "1 June 2011"  # as GOV.UK writes it, in no locale's hands


@dataclass(frozen=True, order=True)
class Cycle:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1 to 12, got {self.month}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be 1 to 9999, got {self.year}")

    @classmethod
    def parse(cls, text: str) -> Cycle:
        match = _CYCLE_TEXT.fullmatch(text.strip())
        if match is None:
            raise InputError(f"{text!r} is not a cycle: expected YYYY-MM, e.g. 2027-04")
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise InputError(f"{text!r} is not a cycle: the month must be 01 to 12")
        if not 1 < year < 9999:  # its neighbours' dates must exist too
            raise InputError(f"{text!r} is not a cycle: the year must be 0002 to 9998")
        return cls(year, month)

    @classmethod
    def of_month(cls, day: date) -> Cycle:
        """The cycle named by the month ``day`` falls in."""
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Cycle:
        return Cycle(self.year + 1, 1) if self.month == 12 else Cycle(self.year, self.month + 1)

    def previous(self) -> Cycle:
        return Cycle(self.year - 1, 12) if self.month == 1 else Cycle(self.year, self.month - 1)


@dataclass(frozen=True)
class CalendarPolicy:
    tz: ZoneInfo
    issue_time: time = time(9, 0)
    holiday_moves_issue_day: bool = True


@dataclass(frozen=True)
class CycleDates:
    """The instants of one cycle, aware and in the policy's time zone."""

    cycle: Cycle
    issue_at: datetime
    active_from: datetime
    active_until: datetime

    @property
    def last_wednesday(self) -> date:
        """The Wednesday the rules name, whether or not the issue day was moved."""
        return self.active_from.date() - _ACTIVATION_DELAY

    @property
    def issue_moved(self) -> bool:
        return self.issue_at.date() != self.last_wednesday

    def to_json(self) -> dict[str, str]:
        return {
            "cycle": str(self.cycle),
            "issue_at": self.issue_at.isoformat(),
            "active_from": self.active_from.isoformat(),
            "active_until": self.active_until.isoformat(),
        }


@lru_cache(maxsize=256)
def _bank_holidays(year: int) -> dict[date, str]:
    # England and Wales share one list of bank holidays.
    found = _united_kingdom()(subdiv="ENG", years=year)
    first, last = getattr(found, "start_year", 1872), getattr(found, "end_year", 2100)
    if not first <= year <= last:
        # The package quietly returns no holidays outside its range; a wrong issue day
        # is worse than a refusal.
        raise InputError(
            f"bank holidays in England and Wales are known only for {first} to {last}; "
            f"cannot tell whether days in {year} are working days"
        )
    return dict(found.items())


@lru_cache(maxsize=1)
def _united_kingdom() -> Any:
    """The ``holidays`` package's United Kingdom calendar, imported on first use, and on
    its own: the package's ``holidays.countries`` imports all ~250 countries (~0.1 s of
    every command that reads a cycle's dates), so its one module is loaded from its file.
    Should a release of the package move it, the package's own loader finds it."""
    import holidays

    path = Path(holidays.__file__).parent / "countries" / "united_kingdom.py"
    spec = importlib.util.spec_from_file_location("holidays.countries.united_kingdom", path)
    if spec is None or spec.loader is None or not path.is_file():
        return partial(holidays.country_holidays, "GB")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.UnitedKingdom


def last_wednesday(year: int, month: int) -> date:
    """The last Wednesday of a month."""
    next_month = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    last_day = next_month - timedelta(days=1)
    return last_day - timedelta(days=(last_day.weekday() - WEDNESDAY) % 7)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime (with a time zone), got a naive one")


class Calendar:
    def __init__(self, policy: CalendarPolicy) -> None:
        self.policy = policy

    # --- days ---------------------------------------------------------------------

    def bank_holiday(self, day: date) -> str | None:
        """The name of the England and Wales bank holiday on ``day``, if it is one."""
        return _bank_holidays(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.bank_holiday(day) is None

    def previous_working_day(self, day: date) -> date:
        day -= timedelta(days=1)
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    # --- cycles -------------------------------------------------------------------

    def dates(self, cycle: Cycle) -> CycleDates:
        return CycleDates(
            cycle=cycle,
            issue_at=self._local(self._issue_day(cycle), self.policy.issue_time),
            active_from=self._active_from(cycle),
            active_until=self._active_from(cycle.next()),
        )

    def cycles(self, first: Cycle, last: Cycle) -> list[CycleDates]:
        if last < first:
            raise InputError(f"the last cycle {last} is before the first cycle {first}")
        found = []
        cycle = first
        while cycle <= last:
            found.append(self.dates(cycle))
            cycle = cycle.next()
        return found

    def cycle_in_force(self, now: datetime) -> Cycle:
        """The cycle whose active period [active_from, active_until) holds ``now``."""
        _require_aware(now)
        cycle = Cycle.of_month(now.astimezone(self.policy.tz).date())
        # A cycle can start a day or two before its month (e.g. Mon 30 Dec for January)
        # or up to the 5th of it, so the month of ``now`` is at most one cycle out.
        while now < self._active_from(cycle):
            cycle = cycle.previous()
        while now >= self._active_from(cycle.next()):
            cycle = cycle.next()
        return cycle

    def next_to_issue(self, now: datetime) -> Cycle:
        """The earliest cycle whose issue instant is after ``now``."""
        _require_aware(now)
        # Cycle M is issued in month M-1, so start with the cycle issued this month.
        cycle = Cycle.of_month(now.astimezone(self.policy.tz).date()).next()
        while self._issue_at(cycle.previous()) > now:
            cycle = cycle.previous()
        while self._issue_at(cycle) <= now:
            cycle = cycle.next()
        return cycle

    def latest_issued(self, now: datetime) -> Cycle:
        """The latest cycle whose issue instant is at or before ``now``."""
        return self.next_to_issue(now).previous()

    # --- helpers ------------------------------------------------------------------

    def _issue_day(self, cycle: Cycle) -> date:
        wednesday = self._wednesday(cycle)
        if self.policy.holiday_moves_issue_day and not self.is_working_day(wednesday):
            return self.previous_working_day(wednesday)
        return wednesday

    def _issue_at(self, cycle: Cycle) -> datetime:
        return self._local(self._issue_day(cycle), self.policy.issue_time)

    def _active_from(self, cycle: Cycle) -> datetime:
        return self._local(self._wednesday(cycle) + _ACTIVATION_DELAY, time(0, 0))

    @staticmethod
    def _wednesday(cycle: Cycle) -> date:
        before = cycle.previous()
        return last_wednesday(before.year, before.month)

    def _local(self, day: date, at: time) -> datetime:
        """A local wall time as an aware datetime in the policy's zone.

        Round-tripping through UTC moves a wall time that a clock change skips (not
        possible for 00:00 or 09:00 in Europe/London, but the zone is configurable) to
        the real instant after the gap, and fixes the offset shown.
        """
        wall = datetime.combine(day, at.replace(tzinfo=None), tzinfo=self.policy.tz)
        return wall.astimezone(UTC).astimezone(self.policy.tz)
