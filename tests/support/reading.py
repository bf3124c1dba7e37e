"""Use cases called as their entry points call them — what a page reads, each in its
own read unit of work, and the scheduler's activation in one transaction — at the
container's time (the use cases themselves take the unit of work and ``now``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.activation import ActivationReport, activate
from codeservice.services.distribution.board import CycleBoard
from codeservice.services.distribution.dashboard import cycle_board, known_cycles
from codeservice.services.distribution.status import CycleStatus, cycle_status

T = TypeVar("T")


def board_of(container: Container, cycle: Cycle) -> CycleBoard:
    with container.read_uow() as uow:
        return cycle_board(uow, container.calendar, cycle, now=container.now())


def status_of(container: Container, cycle: Cycle) -> CycleStatus:
    with container.read_uow() as uow:
        return cycle_status(uow, cycle)


def cycles_of(container: Container) -> list[Cycle]:
    with container.read_uow() as uow:
        return known_cycles(uow, container.calendar, now=container.now())


def activate_now(
    container: Container, cycle: Cycle, *, actor: str, source: str
) -> ActivationReport:
    """The Monday's activation as the scheduler runs it: one transaction, at the
    container's time."""
    with container.transaction() as uow:
        return activate(
            uow,
            container.keyring,
            container.calendar,
            cycle,
            actor=actor,
            source=source,
            now=container.now(),
        )


def read(container: Container, use_case: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``use_case(uow, *args, **kwargs)`` in a read unit of work of its own."""
    with container.read_uow() as uow:
        return use_case(uow, *args, **kwargs)
