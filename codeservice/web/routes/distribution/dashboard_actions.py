"""The BMT dashboard's actions, each a confirmation page and a POST, each audited.

* Resend email 1 to one SPoC (a new link; the old one dies) or the unlock code to a
  SPoC who acknowledged. The confirmation form carries the outbox id of the email it
  offers to replace, so the same form sent twice sends once.
* Run the rotation: it starts in a thread and the page follows its progress.
* Export the cycle's codes for the helpline: the unlock code is on the answer to the
  POST, once; the file is taken once, by that person, with a second POST — which may
  reach another web process, so the file waits in the database (services.downloads).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.documents import DOCX_MEDIA_TYPE
from codeservice.domain.accounts import Principal
from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Cycle
from codeservice.domain.text import whole_number
from codeservice.errors import Conflict, NotFound
from codeservice.services.distribution.resend import (
    ResendTarget,
    resend_document,
    resend_target,
    resend_unlock,
)
from codeservice.services.helpline.export import export_code_list, exportable_cycles
from codeservice.services.operations import audit
from codeservice.services.operations.downloads import hold_download, take_download
from codeservice.web.bmt_pages import (
    BMT_EXPORT,
    BmtTeam,
    cycle_path,
    parse_cycle,
    render,
    rotation_runs,
)
from codeservice.web.dependencies import client_ip, container_of, require_csrf
from codeservice.web.errors import error_page
from codeservice.web.routes.distribution.dashboard import cycle_panel

router = APIRouter(include_in_schema=False)
ContainerDep = Annotated[Container, Depends(container_of)]
DELIVERY = "/bmt/cycles/{cycle}/deliveries/{delivery_id}"
ROTATION = "/bmt/cycles/{cycle}/rotation"
EXPORT_DOWNLOAD = BMT_EXPORT + "/download"
RESENDS = {"resend-document": "document", "resend-unlock": "unlock"}


# --- resends ---------------------------------------------------------------------------


def _target(container: Container, cycle: str, delivery_id: int) -> ResendTarget:
    target = resend_target(container, delivery_id)
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
    send = resend_document if which == "document" else resend_unlock
    try:
        outcome = send(
            container,
            delivery_id,
            seen=whole_number(seen),
            actor=principal.actor,
            source=client_ip(request),
        )
    except Conflict as refused:
        return _confirm(request, principal, target, which, error=str(refused), status_code=409)
    done = which if outcome.sent else f"already-{which}"
    return RedirectResponse(
        f"{cycle_path(cycle)}?done={done}&delivery={delivery_id}", status_code=303
    )


# --- the rotation -----------------------------------------------------------------------


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
    with container.uow() as uow:
        audit.event(
            uow,
            container.keyring,
            AuditTag.CYCLE_ROTATION_REQUEST,
            actor=principal.actor,
            source=client_ip(request),
            now=container.now(),
            cycle=str(target),
            pending=panel.board.pending,
        )
        uow.commit()
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


# --- the helpline export ------------------------------------------------------------------


@router.get(BMT_EXPORT)
def export_form(
    request: Request, container: ContainerDep, principal: BmtTeam, cycle: str = ""
) -> Response:
    return _export_form(request, container, principal, chosen=cycle)


def _export_form(
    request: Request,
    container: Container,
    principal: Principal,
    *,
    chosen: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    cycles = exportable_cycles(container)
    offered = [str(cycle) for cycle, _ in cycles]
    if chosen not in offered:
        in_force = str(container.calendar.cycle_in_force(container.now()))
        chosen = in_force if in_force in offered else offered[0] if len(offered) == 1 else ""
    return render(
        request,
        principal,
        "bmt/export.html",
        {"cycles": cycles, "chosen": chosen, "error": error},
        status_code=status_code,
    )


@router.post(BMT_EXPORT, dependencies=[Depends(require_csrf)])
def export(
    request: Request,
    container: ContainerDep,
    principal: BmtTeam,
    cycle: Annotated[str, Form()] = "",
) -> Response:
    offered = {str(c): c for c, _ in exportable_cycles(container)}
    target = offered.get(cycle)
    if target is None:
        return _export_form(
            request,
            container,
            principal,
            error="Select the cycle whose codes you want to export",
            status_code=422,
        )
    try:
        result = export_code_list(
            container,
            target,
            actor=principal.actor,
            exported_by=principal.shown_name,
            source=client_ip(request),
        )
    except Conflict as refused:
        return _export_form(
            request, container, principal, chosen=cycle, error=str(refused), status_code=409
        )
    ticket = hold_download(
        container,
        owner=principal.actor,
        filename=result.filename,
        media_type=DOCX_MEDIA_TYPE,
        content=result.document,
    )
    return render(
        request,
        principal,
        "bmt/export_ready.html",
        {"result": result, "ticket": ticket, "download": EXPORT_DOWNLOAD},
    )


@router.post(EXPORT_DOWNLOAD, dependencies=[Depends(require_csrf)])
def export_download(
    request: Request,
    container: ContainerDep,
    principal: BmtTeam,
    ticket: Annotated[str, Form()] = "",
) -> Response:
    download = take_download(container, ticket, owner=principal.actor)
    if download is None:
        return error_page(
            request,
            410,
            "This download has already been used or has expired. Export the list again: "
            "you will get a new unlock code.",
        )
    return Response(
        download.content,
        media_type=download.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{download.filename}"',
            "Cache-Control": "no-store",
        },
    )
