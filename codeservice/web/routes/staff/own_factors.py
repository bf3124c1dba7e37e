"""``/staff/second-factors``: a member of staff's own second factors.

The list (added, last used), removing one (never the last: a person keeps at least
one), adding an authenticator app, and a new set of recovery codes (shown once; the
old ones stop working). Every form is a CSRF-protected POST.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.domain.accounts import Principal
from codeservice.domain.second_factors import can_remove
from codeservice.errors import Conflict, InputError, NotFound
from codeservice.services.staff import second_factors as factors
from codeservice.services.staff.second_step import SignInExpired, add_app
from codeservice.services.staff.totp_factors import setup_totp
from codeservice.web.auth import ALL_ROLES, SignInRequired, require_role
from codeservice.web.dependencies import client_ip, container_of, pages_of, require_csrf
from codeservice.web.navigation import STAFF_HOME, staff_navigation
from codeservice.web.qr import qr_svg
from codeservice.web.routes.staff.work import in_transaction
from codeservice.web.sessions import current_session

router = APIRouter(include_in_schema=False)
FACTORS = STAFF_HOME + "/second-factors"
ADD_APP = FACTORS + "/app"
NEW_CODES = FACTORS + "/recovery-codes"
Staff = Annotated[Principal, Depends(require_role(*ALL_ROLES))]
Field = Annotated[str, Form()]
DONE = {
    "added": "The authenticator app has been added.",
    "removed": "The second factor has been removed.",
    "key-added": "The security key has been added.",
}


def staff_id(request: Request) -> int:
    """The signed-in person's account id, from their session (sign in again without one)."""
    session = current_session(request)
    if session is None:
        raise SignInRequired()
    return session.user_id


@router.get(FACTORS)
def factors_page(request: Request, principal: Staff) -> Response:
    return _list(request, principal, {})


@router.post(FACTORS + "/{factor_id}/remove", dependencies=[Depends(require_csrf)])
def remove(request: Request, principal: Staff, factor_id: int) -> Response:
    try:
        in_transaction(
            request, factors.remove_factor, staff_id(request), factor_id, source=client_ip(request)
        )
    except NotFound:
        raise
    except Conflict as problem:
        return _list(request, principal, {"factors": _sentence(str(problem))}, status_code=409)
    return RedirectResponse(FACTORS + "?done=removed", status_code=303)


@router.post(NEW_CODES, dependencies=[Depends(require_csrf)])
def new_codes(request: Request, principal: Staff) -> Response:
    try:
        codes = in_transaction(
            request, factors.replace_recovery_codes, staff_id(request), source=client_ip(request)
        )
    except Conflict as problem:
        return _list(request, principal, {"codes": _sentence(str(problem))}, status_code=409)
    context = {"codes": codes, "next": FACTORS, **_frame(request, principal)}
    return pages_of(request).render(request, "staff/recovery_codes.html", context)


@router.get(ADD_APP)
def add_app_form(request: Request, principal: Staff) -> Response:
    return _app_form(request, principal, {})


@router.post(ADD_APP, dependencies=[Depends(require_csrf)])
def add_app_submit(
    request: Request, principal: Staff, code: Field = "", name: Field = ""
) -> Response:
    try:
        in_transaction(request, add_app, staff_id(request), code, name, source=client_ip(request))
    except SignInExpired as expired:
        raise SignInRequired() from expired
    except InputError as problem:
        errors = {"code": _sentence(str(problem))}
        return _app_form(request, principal, errors, name=name, status_code=422)
    return RedirectResponse(FACTORS + "?done=added", status_code=303)


def _frame(request: Request, principal: Principal) -> dict[str, Any]:
    return {"principal": principal, "navigation": staff_navigation(principal, STAFF_HOME)}


def _list(
    request: Request, principal: Principal, errors: dict[str, str], *, status_code: int = 200
) -> Response:
    container = container_of(request)
    with container.read_uow() as uow:
        overview = factors.overview(uow, staff_id(request))
    tz = container.settings.tz

    def when(moment: Any) -> str:
        if moment is None:
            return "Not yet"
        local = moment.astimezone(tz)
        return f"{local.day} {local:%b %Y %H:%M}"

    removable = can_remove(len(overview.factors))
    rows = [
        {
            "id": factor.id,
            "name": factor.name,
            "kind": factor.kind.label,
            "added": when(factor.created_at),
            "used": when(factor.last_used_at),
            "remove": f"{FACTORS}/{factor.id}/remove" if removable else None,
        }
        for factor in overview.factors
    ]
    context = {
        **_frame(request, principal),
        "errors": errors,
        "error_list": [{"text": text, "href": f"#{field}"} for field, text in errors.items()],
        "rows": rows,
        "codes_left": overview.recovery_codes_left,
        "done": DONE.get(request.query_params.get("done", "")) if not errors else None,
        "add_app": ADD_APP,
        "add_key": FACTORS + "/security-key",
        "new_codes": NEW_CODES,
        "back": STAFF_HOME,
    }
    return pages_of(request).render(
        request, "staff/second_factors.html", context, status_code=status_code
    )


def _app_form(
    request: Request,
    principal: Principal,
    errors: dict[str, str],
    *,
    name: str = "",
    status_code: int = 200,
) -> Response:
    setup = in_transaction(request, setup_totp, staff_id(request))
    context = {
        **_frame(request, principal),
        "errors": errors,
        "error_list": [{"text": text, "href": f"#{field}"} for field, text in errors.items()],
        "qr": qr_svg(setup.uri),
        "key": setup.grouped,
        "name": name[:80],
        "action": ADD_APP,
        "back": FACTORS,
    }
    return pages_of(request).render(request, "staff/add_app.html", context, status_code=status_code)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
