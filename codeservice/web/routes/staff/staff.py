"""The staff home: ``/`` sends each role to its landing page; ``/staff`` shows the
account, a link to change its password and its recent sign-ins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.domain.accounts import Principal
from codeservice.services.staff.own_account import recent_sign_ins
from codeservice.services.staff.second_factors import overview
from codeservice.web.auth import ALL_ROLES, SIGN_IN_PATH, require_role
from codeservice.web.dependencies import container_of
from codeservice.web.navigation import STAFF_HOME, landing_page, staff_page
from codeservice.web.sessions import current_principal, current_session

router = APIRouter()


@router.get("/")
def home(request: Request) -> Response:
    principal = current_principal(request)
    target = SIGN_IN_PATH if principal is None else landing_page(principal)
    return RedirectResponse(target, status_code=302)


@router.get(STAFF_HOME)
def staff_home(
    request: Request, principal: Annotated[Principal, Depends(require_role(*ALL_ROLES))]
) -> Response:
    container = container_of(request)
    tz = container.settings.tz
    session = current_session(request)
    assert session is not None  # require_role saw to it

    with container.read_uow() as uow:
        factor_views = overview(uow, session.user_id).factors
        events = recent_sign_ins(uow, principal.name)

    def when(moment: datetime | None) -> str:
        if moment is None:
            return "Not yet"
        local = moment.astimezone(tz)
        return f"{local.day} {local:%b %Y %H:%M}"

    factors = [
        [
            {"text": factor.name},
            {"text": factor.kind.label},
            {"text": when(factor.created_at)},
            {"text": when(factor.last_used_at)},
        ]
        for factor in factor_views
    ]
    sign_ins = [
        [
            {"text": f"{event.at.astimezone(tz).day} {event.at.astimezone(tz):%b %Y %H:%M}"},
            {"text": event.outcome},
            {"text": event.address or "Not kept"},
        ]
        for event in events
    ]
    return staff_page(
        request,
        principal,
        "staff/home.html",
        {
            "sign_ins": sign_ins,
            "factors": factors,
            "password_changed": request.query_params.get("password") == "changed",
        },
    )
