"""Every cycle at a glance, for the BMT's list of cycles: its dates, where it stands, and
how many codes, acknowledgements and reissues it has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from codeservice.domain.calendar import Calendar, Cycle, CycleDates
from codeservice.services.distribution.board import Phase, phase_of
from codeservice.services.distribution.dashboard import known_cycles
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class CycleLine:
    dates: CycleDates
    phase: Phase
    codes: int  # codes that stand (a reissue counts once, through its replacement)
    spocs: int  # SPoCs sent a code that stands
    acknowledged: int
    reissues: int

    @property
    def cycle(self) -> Cycle:
        return self.dates.cycle


def list_cycles(uow: UnitOfWork, calendar: Calendar, *, now: datetime) -> list[CycleLine]:
    """Every cycle with codes, and the cycle in force and the next, newest first."""
    totals = uow.codes.totals_by_cycle()
    lines = []
    for cycle in known_cycles(uow, calendar, now=now):
        dates = calendar.dates(cycle)
        codes, reissues, spocs, acknowledged = totals.get(cycle, (0, 0, 0, 0))
        lines.append(CycleLine(dates, phase_of(dates, now), codes, spocs, acknowledged, reissues))
    return lines
