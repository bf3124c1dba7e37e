"""What a page reads, read as a test would: each in its own read unit of work, at the
container's time (the use cases themselves take the unit of work and ``now``)."""

from __future__ import annotations

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.board import CycleBoard
from codeservice.services.distribution.dashboard import cycle_board, known_cycles
from codeservice.services.distribution.status import CycleStatus, cycle_status


def board_of(container: Container, cycle: Cycle) -> CycleBoard:
    with container.read_uow() as uow:
        return cycle_board(uow, container.calendar, cycle, now=container.now())


def status_of(container: Container, cycle: Cycle) -> CycleStatus:
    with container.read_uow() as uow:
        return cycle_status(uow, cycle)


def cycles_of(container: Container) -> list[Cycle]:
    with container.read_uow() as uow:
        return known_cycles(uow, container.calendar, now=container.now())
