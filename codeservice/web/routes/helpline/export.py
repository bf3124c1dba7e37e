"""Exporting a cycle's codes for the helpline, from the BMT pages.

The unlock code is on the answer to the POST, once; the file is taken once, by that
person, with a second POST — which may reach another web process, so the file waits in
the database (services.operations.downloads).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import Response

from codeservice.bootstrap import Container
from codeservice.documents import DOCX_MEDIA_TYPE
from codeservice.domain.accounts import Principal
from codeservice.errors import Conflict
from codeservice.services.helpline.export import export_code_list, exportable_cycles
from codeservice.services.operations.downloads import hold_download, take_download
from codeservice.web.bmt_pages import BMT_EXPORT, BmtTeam, render
from codeservice.web.dependencies import client_ip, container_of, require_csrf
from codeservice.web.errors import error_page

router = APIRouter(include_in_schema=False)
ContainerDep = Annotated[Container, Depends(container_of)]
EXPORT_DOWNLOAD = BMT_EXPORT + "/download"


@router.get(BMT_EXPORT)
def export_form(
    request: Request, container: ContainerDep, principal: BmtTeam, cycle: str = ""
) -> Response:
    return _export_form(request, container, principal, now=container.now(), chosen=cycle)


def _export_form(
    request: Request,
    container: Container,
    principal: Principal,
    *,
    now: datetime,
    chosen: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with container.read_uow() as uow:
        cycles = exportable_cycles(uow, now=now)
    offered = [str(cycle) for cycle, _ in cycles]
    if chosen not in offered:
        in_force = str(container.calendar.cycle_in_force(now))
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
    now = container.now()
    with container.read_uow() as uow:
        offered = {str(c): c for c, _ in exportable_cycles(uow, now=now)}
    target = offered.get(cycle)
    if target is None:
        return _export_form(
            request,
            container,
            principal,
            now=now,
            error="Select the cycle whose codes you want to export",
            status_code=422,
        )
    try:
        result = export_code_list(
            container.uow,
            container.keyring,
            container.calendar,
            target,
            actor=principal.actor,
            exported_by=principal.shown_name,
            source=client_ip(request),
            now=now,
        )
    except Conflict as refused:
        return _export_form(
            request,
            container,
            principal,
            now=now,
            chosen=cycle,
            error=str(refused),
            status_code=409,
        )
    with container.transaction() as uow:
        ticket = hold_download(
            uow,
            container.keyring,
            owner=principal.actor,
            filename=result.filename,
            media_type=DOCX_MEDIA_TYPE,
            content=result.document,
            now=container.now(),
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
    with container.transaction() as uow:
        download = take_download(
            uow, container.keyring, ticket, owner=principal.actor, now=container.now()
        )
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
