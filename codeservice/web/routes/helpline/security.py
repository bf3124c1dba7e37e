"""``/security/helpline``: the security team's view of helpline locks and code exposure.

A provider's verification locks for the day after repeated failed checks (§23); the
security team may lift the lock after looking into it, confirming on a page of its own.
Exposure lists, for each code in force, the positions already spoken on calls: a code
with too many is flagged, a reason to consider reissuing it — which the team can do
from here, with a reason and a confirmation, as ``codeservice reissue REF --reason``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal, Role
from codeservice.domain.challenges import NotLocked, ProviderNotFound
from codeservice.domain.codes import CODE_LENGTH
from codeservice.domain.wording import cycle_label, moment_text
from codeservice.errors import InputError
from codeservice.services.helpline import (
    LockView,
    exposure_report,
    search_providers,
    unlock_verification,
    unlocked_today,
    verification_locks,
)
from codeservice.services.incidents.reissue import (
    CodesChanged,
    codes_to_replace,
    complete_reissue,
    request_provider_reissue,
)
from codeservice.web.auth import require_role
from codeservice.web.dependencies import client_ip, container_of, require_csrf
from codeservice.web.navigation import SECURITY_HELPLINE, staff_page

router = APIRouter()
LOCKS = SECURITY_HELPLINE + "/locks"
REISSUE = SECURITY_HELPLINE + "/reissue/{provider_ref}"
ContainerDep = Annotated[Container, Depends(container_of)]
SecurityTeam = Annotated[Principal, Depends(require_role(Role.SECURITY))]


@router.get(SECURITY_HELPLINE)
def overview(
    request: Request,
    container: ContainerDep,
    principal: SecurityTeam,
    unlocked: str = "",
    reissued: str = "",
    cancelled: int = 0,
    already: str = "",
) -> Response:
    desk, now = container.helpdesk, container.now()
    with container.read_uow() as uow:
        open_locks = verification_locks(uow, desk.tz, now=now)
        report = exposure_report(uow, limit=desk.exposure_limit, now=now)
    locks = [
        {"view": lock, "locked_at": moment_text(lock.locked_at, desk.tz)} for lock in open_locks
    ]
    views = sorted(report, key=lambda v: (not v.flagged, -v.count))
    exposure = [
        {
            "view": view,
            "cycle": cycle_label(view.cycle),
            "positions": ", ".join(str(p) for p in sorted(view.positions_disclosed)) or "None",
        }
        for view in views
    ]
    return _render(
        request,
        principal,
        "helpline/security.html",
        {
            "locks": locks,
            "exposure": exposure,
            "flagged": sum(1 for view in views if view.flagged),
            "limit": desk.exposure_limit,
            "code_length": CODE_LENGTH,
            "unlocked": _known_name(container, unlocked) if unlocked else "",
            "reissued": _known_name(container, reissued) if reissued else "",
            "cancelled": max(cancelled, 0),
            "already": _known_name(container, already) if already else "",
        },
    )


@router.get(REISSUE)
def confirm_reissue(
    request: Request, provider_ref: str, container: ContainerDep, principal: SecurityTeam
) -> Response:
    return _reissue_page(request, container, principal, provider_ref)


@router.post(REISSUE, dependencies=[Depends(require_csrf)])
def reissue(
    request: Request,
    provider_ref: str,
    container: ContainerDep,
    principal: SecurityTeam,
    reason: Annotated[str, Form(max_length=5000)] = "",
    shown: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    ref = provider_ref.strip()
    source = client_ip(request)
    now = container.now()
    try:
        with container.transaction() as uow:
            reissue_id = request_provider_reissue(
                uow, ref, reason=reason, actor=principal.actor, now=now, shown=shown[:10]
            )
        report = complete_reissue(
            container.read_uow,
            container.uow,
            container.issuer,
            reissue_id,
            actor=principal.actor,
            source=source,
            now=now,
        )
    except CodesChanged:
        return RedirectResponse(f"{SECURITY_HELPLINE}?already={ref}", status_code=303)
    except InputError as problem:
        message = str(problem) if reason.strip() else "Enter why the code is being reissued"
        return _reissue_page(
            request,
            container,
            principal,
            ref,
            reason=reason,
            error=message[:1].upper() + message[1:],
        )
    return RedirectResponse(
        f"{SECURITY_HELPLINE}?reissued={ref}&cancelled={report.emails_cancelled}",
        status_code=303,
    )


def _reissue_page(
    request: Request,
    container: Container,
    principal: Principal,
    provider_ref: str,
    *,
    reason: str = "",
    error: str | None = None,
) -> Response:
    now = container.now()
    with container.read_uow() as uow:
        ref, name, codes = codes_to_replace(uow, provider_ref, now=now)
    tz = container.settings.tz
    rows = [
        {
            "code": code,
            "in_force": code.active_from <= now,
            "cycle": cycle_label(code.cycle),
            "from": moment_text(code.active_from, tz),
            "until": moment_text(code.active_until, tz),
        }
        for code in codes
    ]
    response = _render(
        request,
        principal,
        "helpline/reissue.html",
        {
            "provider_ref": ref,
            "provider_name": name,
            "rows": rows,
            "reason": reason,
            "error": error,
            "action": REISSUE.format(provider_ref=ref),
        },
    )
    if error is not None:
        response.status_code = 422
    return response


@router.get(LOCKS + "/{provider_ref}/unlock")
def confirm_unlock(
    request: Request, provider_ref: str, container: ContainerDep, principal: SecurityTeam
) -> Response:
    lock = _open_lock(container, provider_ref, container.now())
    tz = container.settings.tz
    return _render(
        request,
        principal,
        "helpline/unlock.html",
        {"lock": lock, "locked_at": moment_text(lock.locked_at, tz), "locks": LOCKS},
    )


@router.post(LOCKS + "/{provider_ref}/unlock", dependencies=[Depends(require_csrf)])
def unlock(
    request: Request, provider_ref: str, container: ContainerDep, principal: SecurityTeam
) -> Response:
    now = container.now()
    ref = provider_ref.strip()
    try:
        lock = _open_lock(container, ref, now)
        with container.uow() as uow:
            unlock_verification(
                uow,
                container.helpdesk,
                lock.provider_ref,
                actor=principal.actor,
                now=now,
                source=client_ip(request),
            )
    except NotLocked:
        # A second submit (a double click, another tab, a colleague first) asked for
        # what is done: it is shown as done, not as a clash. Never locked: a clash.
        with container.read_uow() as uow:
            if not unlocked_today(uow, container.helpdesk, ref, now=now):
                raise
    return RedirectResponse(f"{SECURITY_HELPLINE}?unlocked={ref}", status_code=303)


def _open_lock(container: Container, provider_ref: str, now: datetime) -> LockView:
    """Today's lock on this prime provider; 404 for an unknown ref, 409 if not locked."""
    ref = provider_ref.strip()
    with container.read_uow() as uow:
        locks = verification_locks(uow, container.helpdesk.tz, now=now)
    for lock in locks:
        if lock.provider_ref == ref:
            return lock
    name = _known_name(container, ref)
    if not name:
        raise ProviderNotFound(f"no provider has the ref {ref!r}")
    raise NotLocked(f"Verification for {name} ({ref}) is not locked today.")


def _known_name(container: Container, ref: str) -> str:
    return next((v.name for v in search_providers(container.read_uow, ref) if v.ref == ref), "")


def _render(
    request: Request, principal: Principal, template: str, context: dict[str, Any]
) -> Response:
    paths = {"overview": SECURITY_HELPLINE, "lock_paths": LOCKS}
    context = {**context, **paths, "reissue_paths": SECURITY_HELPLINE + "/reissue"}
    return staff_page(request, principal, template, context)
