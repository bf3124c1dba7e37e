"""Sending a cycle's document to SPoCs added since its code was issued (BMT).

The cycle page lists them; this is the confirmation page (a GET that changes
nothing) and the POST that sends — to the SPoCs that page listed, and only those who
still have no delivery of the code, so the same form sent twice (a double click, a
reload, two people at once) sends nothing more.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.text import whole_number
from codeservice.services.distribution.new_spocs import pending_new_spocs, send_to_new_spocs
from codeservice.web.bmt_pages import BmtTeam, cycle_path, parse_cycle, render
from codeservice.web.dependencies import client_ip, container_of, require_csrf

router = APIRouter(include_in_schema=False)
ContainerDep = Annotated[Container, Depends(container_of)]
NEW_SPOCS = "/bmt/cycles/{cycle}/new-spocs"


@router.get(NEW_SPOCS)
def confirm_new_spocs(
    request: Request, cycle: str, container: ContainerDep, principal: BmtTeam
) -> Response:
    target, _ = parse_cycle(request, cycle)
    with container.read_uow() as uow:
        waiting = pending_new_spocs(uow, cycle=str(target), now=container.now())
    return render(
        request,
        principal,
        "bmt/new_spocs.html",
        {"cycle": target, "waiting": waiting, "action": NEW_SPOCS.format(cycle=target)},
    )


@router.post(NEW_SPOCS, dependencies=[Depends(require_csrf)])
def send_new_spocs(
    request: Request,
    cycle: str,
    container: ContainerDep,
    principal: BmtTeam,
    shown: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    target, _ = parse_cycle(request, cycle)
    report = send_to_new_spocs(
        container.read_uow,
        container.uow,
        container.mailroom,
        actor=principal.actor,
        source=client_ip(request),
        cycle=str(target),
        only=_pairs(shown),
        now=container.now(),
    )
    if not report.sent:
        return RedirectResponse(f"{cycle_path(target)}?done=new-spocs-none", status_code=303)
    return RedirectResponse(
        f"{cycle_path(target)}?done=new-spocs&sent={len(report.sent)}", status_code=303
    )


def _pairs(shown: list[str]) -> set[tuple[int, int]]:
    """The "code-SPoC" ids the confirmation page listed; anything else is ignored."""
    pairs: set[tuple[int, int]] = set()
    for value in shown[:1000]:
        code_id, _, spoc_id = value.partition("-")
        pair = whole_number(code_id), whole_number(spoc_id)
        if pair[0] is not None and pair[1] is not None:
            pairs.add((pair[0], pair[1]))
    return pairs
