"""``/bmt/register/{ref}``: one provider — details, security plan, SPoCs, codes, history —
and its single changes: rename, deactivate or reactivate it, add a SPoC, deactivate or
reactivate one. Each change is a CSRF-protected POST that redirects back to the page;
a form with a problem shows the page again with the message against the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal
from codeservice.domain.register import REF_PATTERN
from codeservice.domain.register_edits import InvalidEdit
from codeservice.domain.text import whole_number
from codeservice.errors import NotFound
from codeservice.services.distribution.new_spocs import pending_new_spocs
from codeservice.services.register import edits
from codeservice.services.register.provider_page import provider_page
from codeservice.web.bmt_pages import BMT_REGISTER, BmtTeam, render
from codeservice.web.dependencies import client_ip, container_of, require_csrf

router = APIRouter(include_in_schema=False)
ContainerDep = Annotated[Container, Depends(container_of)]
PROVIDER = BMT_REGISTER + "/{ref}"
FIELD_ANCHORS = {
    "name": "#name",
    "spoc_name": "#spoc_name",
    "spoc_email": "#spoc_email",
    "received": "#received-day",
    "approved": "#approved-day",
    "changed": "#changed-day",
    "plan": "#details",
}
PLAN_FIELDS = ("received", "approved", "changed")
DONE = {
    "renamed": "The provider's name is changed.",
    "deactivated": "The provider is deactivated: it gets no code and the helpline refuses it.",
    "reactivated": "The provider is active again.",
    "plan": "The security plan's dates are recorded.",
    "spoc-added": "The SPoC is added.",
    "spoc-deactivated": "The SPoC is deactivated: nothing more is sent to them.",
    "spoc-reactivated": "The SPoC is active again.",
}
Flag = Annotated[str, Form()]


def _ref(ref: str) -> str:
    if not REF_PATTERN.fullmatch(ref):
        raise NotFound(edits.NO_PROVIDER)
    return ref


@router.get(PROVIDER)
def provider(
    request: Request, ref: str, container: ContainerDep, principal: BmtTeam, done: str = ""
) -> Response:
    return _page(request, container, principal, _ref(ref), done=done)


def _change(
    request: Request,
    container: Container,
    principal: Principal,
    ref: str,
    done: str,
    act: Callable[..., None],
    *args: Any,
    typed: dict[str, str] | None = None,
    **options: Any,
) -> Response:
    now = container.now()
    try:
        with container.transaction() as uow:
            act(
                uow,
                container.keyring,
                _ref(ref),
                *args,
                actor=principal.actor,
                source=client_ip(request),
                now=now,
                **options,
            )
    except InvalidEdit as bad:
        return _page(request, container, principal, ref, errors=bad.errors, typed=typed or {})
    return RedirectResponse(f"{BMT_REGISTER}/{ref}?done={done}", status_code=303)


@router.post(PROVIDER + "/name", dependencies=[Depends(require_csrf)])
def rename(
    request: Request, ref: str, container: ContainerDep, principal: BmtTeam, name: Flag = ""
) -> Response:
    typed = {"name": name}
    return _change(
        request, container, principal, ref, "renamed", edits.rename_provider, name, typed=typed
    )


@router.post(PROVIDER + "/active", dependencies=[Depends(require_csrf)])
def provider_active(
    request: Request, ref: str, container: ContainerDep, principal: BmtTeam, active: Flag = ""
) -> Response:
    on = active == "yes"
    done = "reactivated" if on else "deactivated"
    return _change(request, container, principal, ref, done, edits.set_provider_active, on)


@router.post(PROVIDER + "/security-plan", dependencies=[Depends(require_csrf)])
async def security_plan(
    request: Request, ref: str, container: ContainerDep, principal: BmtTeam
) -> Response:
    form = await request.form()  # already read, and its fields' lengths checked
    typed = {
        f"{field}-{part}": str(form.get(f"{field}-{part}", ""))
        for field in PLAN_FIELDS
        for part in ("day", "month", "year")
    }
    parts = {
        field: (typed[f"{field}-day"], typed[f"{field}-month"], typed[f"{field}-year"])
        for field in PLAN_FIELDS
    }
    act = edits.set_security_plan
    return await run_in_threadpool(
        _change,
        request,
        container,
        principal,
        ref,
        "plan",
        act,
        parts,
        typed=typed,
        tz=container.settings.tz,
    )


@router.post(PROVIDER + "/spocs", dependencies=[Depends(require_csrf)])
def add_spoc(
    request: Request,
    ref: str,
    container: ContainerDep,
    principal: BmtTeam,
    spoc_name: Flag = "",
    spoc_email: Flag = "",
) -> Response:
    typed = {"spoc_name": spoc_name, "spoc_email": spoc_email}
    act = edits.add_spoc
    return _change(
        request, container, principal, ref, "spoc-added", act, spoc_name, spoc_email, typed=typed
    )


@router.post(PROVIDER + "/spocs/{spoc_id}/active", dependencies=[Depends(require_csrf)])
def spoc_active(
    request: Request,
    ref: str,
    spoc_id: str,
    container: ContainerDep,
    principal: BmtTeam,
    active: Flag = "",
) -> Response:
    number = whole_number(spoc_id)
    if number is None:
        raise NotFound("There is no such SPoC for this provider")
    on = active == "yes"
    done = "spoc-reactivated" if on else "spoc-deactivated"
    return _change(request, container, principal, ref, done, edits.set_spoc_active, number, on)


def _page(
    request: Request,
    container: Container,
    principal: Principal,
    ref: str,
    *,
    done: str = "",
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    with container.read_uow() as uow:
        page = provider_page(uow, ref)
        live = page.view.is_prime and page.view.active  # an inactive one is sent nothing
        waiting = pending_new_spocs(uow, provider_ref=ref, now=container.now()) if live else []
    errors = errors or {}
    context = {
        "page": page,
        "view": page.view,
        "done": DONE.get(done, ""),
        "errors": errors,
        "error_list": [
            {"text": message, "href": FIELD_ANCHORS.get(field, "#")}
            for field, message in errors.items()
        ],
        "typed": typed or {},
        "path": f"{BMT_REGISTER}/{ref}",
        "new_spoc_cycles": sorted({spoc.cycle for spoc in waiting}),
    }
    status = 422 if errors else 200
    return render(request, principal, "bmt/provider.html", context, status_code=status)
