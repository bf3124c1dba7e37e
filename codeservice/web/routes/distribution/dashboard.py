"""The BMT dashboard's pages to read: ``/bmt``, the cycles, a cycle, the register.

``/bmt`` shows the cycle in force and the next one: counts, a chart of
acknowledgements per day and what to do next. A cycle's page lists every provider and
SPoC with where each stands, with filters; the actions it links to are in ``resends``,
``rotation_run`` and the helpline's ``export``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.requests import Request
from starlette.responses import Response

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.domain.text import search_key
from codeservice.errors import Conflict
from codeservice.services.distribution.board import CycleBoard, Phase, ProviderRow, SpocRow
from codeservice.services.distribution.cycle_list import list_cycles
from codeservice.services.distribution.dashboard import cycle_board
from codeservice.services.distribution.new_spocs import pending_new_spocs
from codeservice.services.distribution.rotation import check_rotation_allowed
from codeservice.services.register.providers import find_provider, list_register
from codeservice.web.bmt_pages import (
    BMT_CYCLES,
    BMT_HOME,
    BMT_REGISTER,
    BmtTeam,
    parse_cycle,
    render,
    rotation_runs,
)
from codeservice.web.charts import BarChart, acknowledgement_chart
from codeservice.web.dependencies import container_of

router = APIRouter(include_in_schema=False)
ContainerDep = Annotated[Container, Depends(container_of)]
FILTERS = {
    "all": "All providers",
    "waiting": "SPoCs not acknowledged",
    "failing": "Emails failing",
}


@dataclass(frozen=True)
class CyclePanel:
    heading: str
    board: CycleBoard
    chart: BarChart | None
    rotation_refused: str | None  # why no rotation can run from here; None: it can
    rotation_running: bool
    new_spocs: int  # SPoCs added since the cycle's code was issued who have not had it


def cycle_panel(container: Container, request: Request, cycle: Cycle, heading: str) -> CyclePanel:
    now = container.now()
    with container.read_uow() as uow:
        board = cycle_board(uow, container.calendar, cycle, now=now)
        waiting = pending_new_spocs(uow, cycle=str(cycle), now=now) if board.issued else []
    today = now.astimezone(container.settings.tz).date()
    run = rotation_runs(request).get(cycle)
    return CyclePanel(
        heading=heading,
        board=board,
        chart=acknowledgement_chart(board.acknowledgements, today) if board.issued else None,
        rotation_refused=rotation_refusal(container, board),
        rotation_running=run is not None and run.running,
        new_spocs=len(waiting),
    )


def rotation_refusal(container: Container, board: CycleBoard) -> str | None:
    if board.phase is Phase.ENDED:
        return "This cycle has ended."
    if board.counts.providers == 0:
        return "There are no active prime providers on the register."
    if board.pending == 0:
        return "Every active prime provider has its code for this cycle."
    try:
        check_rotation_allowed(container.calendar, board.cycle, container.now(), force=False)
    except Conflict as refused:
        return str(refused)
    return None


@router.get(BMT_HOME)
def overview(request: Request, container: ContainerDep, principal: BmtTeam) -> Response:
    in_force = container.calendar.cycle_in_force(container.now())
    panels = [
        cycle_panel(container, request, in_force, "Cycle in force"),
        cycle_panel(container, request, in_force.next(), "Next cycle"),
    ]
    return render(request, principal, "bmt/overview.html", {"panels": panels})


@router.get(BMT_CYCLES)
def cycles_page(request: Request, container: ContainerDep, principal: BmtTeam) -> Response:
    with container.read_uow() as uow:
        lines = list_cycles(uow, container.calendar, now=container.now())
    return render(request, principal, "bmt/cycles.html", {"lines": lines})


@router.get(BMT_CYCLES + "/{cycle}")
def cycle_page(
    request: Request,
    cycle: str,
    container: ContainerDep,
    principal: BmtTeam,
    show: str = "all",
    q: Annotated[str, Query(max_length=200)] = "",
    done: str = "",
    delivery: int | None = None,
    sent: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    target, _ = parse_cycle(request, cycle)
    panel = cycle_panel(container, request, target, "")
    with container.read_uow() as uow:
        new_spocs = pending_new_spocs(uow, cycle=str(target), now=container.now())
    show = show if show in FILTERS else "all"
    rows = filter_rows(panel.board.providers, show, q)
    return render(
        request,
        principal,
        "bmt/cycle.html",
        {
            "panel": panel,
            "board": panel.board,
            "rows": rows,
            "show": show,
            "filters": FILTERS,
            "q": q,
            "done": done,
            "done_to": _spoc(panel.board, delivery),
            "sent": sent,
            # SPoCs added since this cycle's code was issued, who have not had it.
            "new_spocs": new_spocs,
            "filter_counts": {
                "all": len({p.ref for p in panel.board.providers}),  # providers, not codes
                "waiting": panel.board.counts.not_acknowledged,
                "failing": panel.board.counts.failing + panel.board.counts.retrying,
            },
        },
    )


def filter_rows(
    providers: tuple[ProviderRow, ...], show: str, q: str
) -> list[tuple[ProviderRow, tuple[SpocRow, ...]]]:
    """Each provider shown with the SPoCs the filter keeps (all of them for "all")."""
    needle = search_key(q.strip())
    shown: list[tuple[ProviderRow, tuple[SpocRow, ...]]] = []
    for provider in providers:
        if needle and not _matches(provider, needle):
            continue
        if show == "all":
            shown.append((provider, provider.spocs))
            continue
        if not provider.standing:
            continue
        if show == "waiting":
            spocs = tuple(s for s in provider.spocs if s.acknowledged_at is None)
        else:
            spocs = tuple(s for s in provider.spocs if s.stage.failing or s.stage.retrying)
        if spocs:
            shown.append((provider, spocs))
    return shown


def _matches(provider: ProviderRow, needle: str) -> bool:
    texts = [provider.ref, provider.name, *(t for s in provider.spocs for t in (s.name, s.email))]
    return any(needle in search_key(text) for text in texts)


def _spoc(board: CycleBoard, delivery_id: int | None) -> SpocRow | None:
    if delivery_id is None:
        return None
    for provider in board.providers:
        for spoc in provider.spocs:
            if spoc.delivery_id == delivery_id:
                return spoc
    return None


@router.get(BMT_REGISTER)
def register(
    request: Request,
    container: ContainerDep,
    principal: BmtTeam,
    q: Annotated[str, Query(max_length=200)] = "",
    inactive: bool = False,
) -> Response:
    with container.read_uow() as uow:
        everyone = list_register(uow, include_inactive=inactive)
        views = find_provider(uow, q, include_inactive=inactive) if q.strip() else everyone
    return render(
        request,
        principal,
        "bmt/register.html",
        {
            "views": views,
            "q": q,
            "inactive": inactive,
            "primes": sum(1 for v in everyone if v.is_prime),
            "subcontractors": sum(1 for v in everyone if not v.is_prime),
            "spocs": sum(len(v.spocs) for v in everyone),
        },
    )
