"""Every cycle at a glance, for the BMT's list of cycles: its dates, where it stands, and
how many codes, acknowledgements and reissues it has."""

from __future__ import annotations

from dataclasses import dataclass

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle, CycleDates
from codeservice.services.distribution.board import Phase, phase_of
from codeservice.services.distribution.dashboard import known_cycles


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


def list_cycles(container: Container) -> list[CycleLine]:
    """Every cycle with codes, and the cycle in force and the next, newest first."""
    now = container.now()
    with container.read_uow() as uow:
        totals = uow.codes.totals_by_cycle()
    lines = []
    for cycle in known_cycles(container):
        dates = container.calendar.dates(cycle)
        codes, reissues, spocs, acknowledged = totals.get(cycle, (0, 0, 0, 0))
        lines.append(CycleLine(dates, phase_of(dates, now), codes, spocs, acknowledged, reissues))
    return lines
