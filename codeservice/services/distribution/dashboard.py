"""What the BMT dashboard shows for a cycle: the cycle's rows (``cycle_rows``) on the
``board``, with its phase, counts and acknowledgements by day."""

from __future__ import annotations

from datetime import datetime

from codeservice.domain.calendar import Calendar, Cycle
from codeservice.services.distribution.board import (
    CycleBoard,
    acknowledgements_by_day,
    count,
    phase_of,
)
from codeservice.services.distribution.cycle_rows import provider_rows
from codeservice.storage.uow import UnitOfWork


def cycle_board(uow: UnitOfWork, calendar: Calendar, cycle: Cycle, *, now: datetime) -> CycleBoard:
    """The cycle's board, read in the caller's (read) unit of work."""
    dates = calendar.dates(cycle)
    providers = provider_rows(uow, cycle)
    spocs = [spoc for provider in providers if provider.counted for spoc in provider.spocs]
    return CycleBoard(
        cycle=cycle,
        dates=dates,
        phase=phase_of(dates, now),
        providers=tuple(providers),
        counts=count(providers),
        acknowledgements=tuple(acknowledgements_by_day(dates, spocs, calendar.policy.tz)),
    )


def known_cycles(uow: UnitOfWork, calendar: Calendar, *, now: datetime) -> list[Cycle]:
    """Every cycle that has codes, and the cycle in force and the next, newest first."""
    in_force = calendar.cycle_in_force(now)
    cycles = set(uow.codes.cycles())
    cycles |= {in_force, in_force.next()}
    return sorted(cycles, reverse=True)
