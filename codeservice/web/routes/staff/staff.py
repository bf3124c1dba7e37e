"""The staff home: ``/`` sends each role to its landing page; ``/staff`` for now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.domain.accounts import Principal
from codeservice.web.auth import ALL_ROLES, SIGN_IN_PATH, require_role
from codeservice.web.dependencies import pages_of
from codeservice.web.navigation import STAFF_HOME, landing_page, staff_navigation
from codeservice.web.sessions import current_principal

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
    return pages_of(request).render(
        request,
        "staff/home.html",
        {"principal": principal, "navigation": staff_navigation(principal, request.url.path)},
    )
