"""``/bmt/register/upload``: the register CSV uploaded in the browser, previewed, applied.

GOV.UK Notify's CSV upload is the model. Uploading changes nothing: the file is checked
with the CLI import's rules and the preview lists what applying it would add, change
and deactivate, or every bad line with its number. "Apply these changes" (a
CSRF-protected POST carrying the preview's key) applies the bytes previewed, once, and
redirects to the result; a register changed since the preview is refused.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal
from codeservice.errors import Conflict, InputError, NotFound
from codeservice.services.distribution.new_spocs import pending_new_spocs
from codeservice.services.register.providers import RegisterRules
from codeservice.services.register.uploads import (
    applied_upload,
    apply_upload,
    preview_upload,
    upload_name,
)
from codeservice.web.bmt_pages import BMT_REGISTER_UPLOAD, BmtTeam, render
from codeservice.web.dependencies import client_ip, container_of, require_csrf

router = APIRouter(include_in_schema=False)
ContainerDep = Annotated[Container, Depends(container_of)]
REGISTER_UPLOAD = BMT_REGISTER_UPLOAD
REGISTER_APPLY = "/bmt/register/apply"
REGISTER_UPLOADS = "/bmt/register/uploads"
UPLOAD_FORM_ROOM = 64 * 1024  # the multipart form around the file: its headers, the token


@router.get(REGISTER_UPLOAD)
def upload_form(request: Request, container: ContainerDep, principal: BmtTeam) -> Response:
    return _form(request, container, principal, {})


@router.post(REGISTER_UPLOAD, dependencies=[Depends(require_csrf)])
async def upload(
    request: Request,
    container: ContainerDep,
    principal: BmtTeam,
    file: Annotated[UploadFile | str | None, File()] = None,  # text: not a file chosen
    prune: Annotated[str, Form()] = "",
) -> Response:
    rules = RegisterRules.of(container.settings)
    limits = rules.limits
    if isinstance(file, str) or file is None or not file.filename:
        return _form(request, container, principal, {"file": "Select a CSV file"}, 422)
    name = upload_name(file.filename)
    data = await file.read(limits.max_bytes + 1)
    if not data:
        return _form(request, container, principal, {"file": f"{name} is empty"}, 422)
    try:
        now = container.now()
        with container.transaction() as uow:
            shown = preview_upload(
                uow, rules, data, name, prune=prune == "yes", actor=principal.actor, now=now
            )
    except InputError as bad:
        found: dict[str, Any] = {
            "filename": name,
            "message": str(bad),
            "problems": bad.problems,
            "upload": REGISTER_UPLOAD,
        }
        if not bad.problems:  # the file as a whole: too big, too many lines
            return _form(request, container, principal, {"file": str(bad)}, 422)
        return render(request, principal, "bmt/register_problems.html", found, status_code=422)
    context: dict[str, Any] = {
        "preview": shown,
        "summary": shown.summary,
        "changes": _grouped(shown.summary.changes),
        "action": REGISTER_APPLY,
        "upload": REGISTER_UPLOAD,
    }
    return render(request, principal, "bmt/register_preview.html", context)


@router.post(REGISTER_APPLY, dependencies=[Depends(require_csrf)])
def apply(
    request: Request,
    container: ContainerDep,
    principal: BmtTeam,
    key: Annotated[str, Form()] = "",
) -> Response:
    try:
        now = container.now()
        with container.transaction() as uow:
            done = apply_upload(
                uow,
                container.keyring,
                RegisterRules.of(container.settings),
                key,
                actor=principal.actor,
                source=client_ip(request),
                now=now,
            )
    except Conflict as stale:
        return _form(request, container, principal, {"file": str(stale)}, 409)
    except NotFound as gone:
        return _form(request, container, principal, {"file": str(gone)}, 404)
    return RedirectResponse(f"{REGISTER_UPLOADS}/{done.key}", status_code=303)


@router.get(REGISTER_UPLOADS + "/{key}")
def applied(request: Request, key: str, container: ContainerDep, principal: BmtTeam) -> Response:
    with container.read_uow() as uow:
        done = applied_upload(uow, key)
        waiting = pending_new_spocs(uow, now=container.now())
    context = {
        "done": done,
        "changes": _grouped(done.changes),
        "new_spoc_cycles": sorted({spoc.cycle for spoc in waiting}),
        "new_spocs": len({spoc.spoc_id for spoc in waiting}),
    }
    return render(request, principal, "bmt/register_applied.html", context)


def _grouped(changes: list[Any]) -> dict[str, list[Any]]:
    """The changes by heading, in the order the page shows them."""
    headings = {
        ("provider", "added"): "Providers added",
        ("provider", "changed"): "Providers changed",
        ("provider", "deactivated"): "Providers deactivated",
        ("SPoC", "added"): "SPoCs added",
        ("SPoC", "changed"): "SPoCs changed",
        ("SPoC", "deactivated"): "SPoCs deactivated",
    }
    grouped: dict[str, list[Any]] = {heading: [] for heading in headings.values()}
    for change in changes:
        grouped[headings[(change.subject, change.kind)]].append(change)
    return {heading: found for heading, found in grouped.items() if found}


def _form(
    request: Request,
    container: Container,
    principal: Principal,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    limits = RegisterRules.of(container.settings).limits
    context: dict[str, Any] = {
        "errors": errors,
        "error_list": [{"text": message, "href": "#file"} for message in errors.values()],
        "action": REGISTER_UPLOAD,
        "max_bytes": limits.max_bytes,
        "max_lines": limits.max_lines,
    }
    return render(request, principal, "bmt/register_upload.html", context, status_code=status_code)
