"""Resending from the BMT dashboard, each a confirmation page and an audited POST.

Email 1 goes to one SPoC again (a new link; the old one dies), or the unlock code to a
SPoC who acknowledged. The confirmation form carries the outbox id of the email it
offers to replace, so the same form sent twice sends once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal
from codeservice.domain.text import whole_number
from codeservice.errors import Conflict, NotFound
from codeservice.services.distribution.resend import (
    ResendTarget,
    resend_document,
    resend_target,
    resend_unlock,
)
from codeservice.web.bmt_pages import BmtTeam, cycle_path, parse_cycle, render
from codeservice.web.dependencies import client_ip, container_of, require_csrf

router = APIRouter(include_in_schema=False)
ContainerDep = Annotated[Container, Depends(container_of)]
DELIVERY = "/bmt/cycles/{cycle}/deliveries/{delivery_id}"


def _target(container: Container, cycle: str, delivery_id: int) -> ResendTarget:
    with container.read_uow() as uow:
        target = resend_target(uow, delivery_id, now=container.now())
    if target.cycle != cycle:
        raise NotFound("There is no such delivery in this cycle")
    return target


def _confirm(
    request: Request,
    principal: Principal,
    target: ResendTarget,
    which: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        principal,
        f"bmt/resend_{which}.html",
        {"target": target, "error": error},
        status_code=status_code,
    )


@router.get(DELIVERY + "/resend-document")
def confirm_resend_document(
    request: Request, cycle: str, delivery_id: int, container: ContainerDep, principal: BmtTeam
) -> Response:
    parse_cycle(request, cycle)
    return _confirm(request, principal, _target(container, cycle, delivery_id), "document")


@router.get(DELIVERY + "/resend-unlock")
def confirm_resend_unlock(
    request: Request, cycle: str, delivery_id: int, container: ContainerDep, principal: BmtTeam
) -> Response:
    parse_cycle(request, cycle)
    return _confirm(request, principal, _target(container, cycle, delivery_id), "unlock")


@router.post(DELIVERY + "/resend-document", dependencies=[Depends(require_csrf)])
def send_document_again(
    request: Request,
    cycle: str,
    delivery_id: int,
    container: ContainerDep,
    principal: BmtTeam,
    seen: Annotated[str, Form()] = "",
) -> Response:
    return _resend(request, cycle, delivery_id, container, principal, seen, "document")


@router.post(DELIVERY + "/resend-unlock", dependencies=[Depends(require_csrf)])
def send_unlock_again(
    request: Request,
    cycle: str,
    delivery_id: int,
    container: ContainerDep,
    principal: BmtTeam,
    seen: Annotated[str, Form()] = "",
) -> Response:
    return _resend(request, cycle, delivery_id, container, principal, seen, "unlock")


def _resend(
    request: Request,
    cycle: str,
    delivery_id: int,
    container: Container,
    principal: Principal,
    seen: str,
    which: str,
) -> Response:
    parse_cycle(request, cycle)
    target = _target(container, cycle, delivery_id)
    number, actor, source = whole_number(seen), principal.actor, client_ip(request)
    now = container.now()
    try:
        if which == "document":
            outcome = resend_document(
                container.read_uow,
                container.uow,
                container.mailroom,
                delivery_id,
                seen=number,
                actor=actor,
                source=source,
                now=now,
            )
        else:
            with container.transaction() as uow:
                outcome = resend_unlock(
                    uow,
                    container.mailroom,
                    delivery_id,
                    seen=number,
                    actor=actor,
                    source=source,
                    now=now,
                )
    except Conflict as refused:
        return _confirm(request, principal, target, which, error=str(refused), status_code=409)
    done = which if outcome.sent else f"already-{which}"
    return RedirectResponse(
        f"{cycle_path(cycle)}?done={done}&delivery={delivery_id}", status_code=303
    )
