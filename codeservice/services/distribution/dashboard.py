"""What the BMT dashboard shows for a cycle: the cycle's rows (``cycle_rows``) on the
``board``, with its phase, counts and acknowledgements by day."""

from __future__ import annotations

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.board import (
    CycleBoard,
    acknowledgements_by_day,
    count,
    phase_of,
)
from codeservice.services.distribution.cycle_rows import provider_rows


def cycle_board(container: Container, cycle: Cycle) -> CycleBoard:
    dates = container.calendar.dates(cycle)
    with container.read_uow() as uow:
        providers = provider_rows(uow, cycle)
    spocs = [spoc for provider in providers if provider.counted for spoc in provider.spocs]
    return CycleBoard(
        cycle=cycle,
        dates=dates,
        phase=phase_of(dates, container.now()),
        providers=tuple(providers),
        counts=count(providers),
        acknowledgements=tuple(acknowledgements_by_day(dates, spocs, container.settings.tz)),
    )


def known_cycles(container: Container) -> list[Cycle]:
    """Every cycle that has codes, and the cycle in force and the next, newest first."""
    now = container.now()
    in_force = container.calendar.cycle_in_force(now)
    with container.read_uow() as uow:
        cycles = set(uow.codes.cycles())
    cycles |= {in_force, in_force.next()}
    return sorted(cycles, reverse=True)
