"""Running the rotation from the BMT dashboard: the request is audited, the rotation
starts in a thread and the page follows its progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.rotation_request import record_rotation_request
from codeservice.web.bmt_pages import BmtTeam, parse_cycle, render, rotation_runs
from codeservice.web.dependencies import client_ip, container_of, require_csrf
from codeservice.web.routes.distribution.dashboard import cycle_panel

router = APIRouter(include_in_schema=False)
ContainerDep = Annotated[Container, Depends(container_of)]
ROTATION = "/bmt/cycles/{cycle}/rotation"


@router.get(ROTATION)
def rotation(request: Request, cycle: str, container: ContainerDep, principal: BmtTeam) -> Response:
    target, _ = parse_cycle(request, cycle)
    return _rotation_page(request, container, principal, target)


@router.post(ROTATION, dependencies=[Depends(require_csrf)])
def start_rotation(
    request: Request,
    cycle: str,
    container: ContainerDep,
    principal: BmtTeam,
    register_checked: Annotated[str, Form(alias="register-checked")] = "",
) -> Response:
    target, _ = parse_cycle(request, cycle)
    panel = cycle_panel(container, request, target, "")
    if panel.rotation_refused is not None:
        return _rotation_page(
            request, container, principal, target, error=panel.rotation_refused, status_code=409
        )
    if register_checked != "yes":
        return _rotation_page(
            request,
            container,
            principal,
            target,
            error="Confirm that the register is up to date",
            status_code=422,
        )
    runs = rotation_runs(request)
    now = container.now()
    with container.transaction() as uow:
        record_rotation_request(
            uow,
            container.keyring,
            target,
            pending=panel.board.pending,
            actor=principal.actor,
            source=client_ip(request),
            now=now,
        )
    runs.start(container, target, actor=principal.actor, source=client_ip(request))
    return RedirectResponse(ROTATION.format(cycle=target), status_code=303)


def _rotation_page(
    request: Request,
    container: Container,
    principal: Principal,
    cycle: Cycle,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    panel = cycle_panel(container, request, cycle, "")
    return render(
        request,
        principal,
        "bmt/rotation.html",
        {
            "panel": panel,
            "board": panel.board,
            "run": rotation_runs(request).get(cycle),
            "error": error,
            "action": ROTATION.format(cycle=cycle),
        },
        status_code=status_code,
    )
