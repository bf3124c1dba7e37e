"""Who is asking, and whether they may: the dependencies every staff route declares.

Pages use ``require_role(...)``: no session (see ``sessions``) sends the browser to
the sign-in page, the wrong role gets the 403 page. API routes (``/api/...``) use
``require_api_role(...)``: they take a Bearer token, or — for GET and HEAD only, so
that the dashboard's own scripts can read — a signed-in session; no credentials is a
401 and the wrong role a 403, both JSON. State-changing API requests therefore only
ever come with a token, which a browser never sends on its own: they need no CSRF
token. Pages never look at the Authorization header.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from codeservice import logs
from codeservice.domain.accounts import Principal, Role
from codeservice.errors import CodeserviceError
from codeservice.services.staff.api_tokens import token_principal, token_principal_in
from codeservice.storage.uow import UnitOfWork
from codeservice.web.dependencies import container_of, pages_of
from codeservice.web.navigation import landing_page, staff_navigation
from codeservice.web.sessions import SessionCookies, SessionCookieWriter, current_principal

SIGN_IN_PATH = "/sign-in"
ALL_ROLES: tuple[Role, ...] = tuple(Role)
_NOT_AFTER_SIGN_IN = frozenset({"/sign-in", "/sign-out"})
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def api_principal(request: Request) -> Principal | None:
    """A Bearer token's machine; for GET and HEAD, a signed-in member of staff too."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return None
        container = container_of(request)
        principal = token_principal(
            container.read_uow, container.uow, credentials.strip(), now=container.now()
        )
        if principal is not None:
            logs.set_actor(principal.actor)
        return principal
    if request.method in _SAFE_METHODS:
        return current_principal(request)
    return None


# --- what routes ask for ----------------------------------------------------------------


class SignInRequired(CodeserviceError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__("Sign in to see this page")


class NotPermitted(CodeserviceError):
    """The signed-in role may not use this page."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__("Your account does not have access to this page.")


class ApiUnauthenticated(CodeserviceError):
    status_code = 401


class ApiForbidden(CodeserviceError):
    status_code = 403


def require_role(*roles: Role) -> Callable[[Request], Principal]:
    """A page dependency: ``principal: Principal = Depends(require_role(Role.BMT))``."""
    allowed = frozenset(roles)

    def dependency(request: Request) -> Principal:
        principal = current_principal(request)
        if principal is None:
            raise SignInRequired()
        if principal.role not in allowed:
            raise NotPermitted()
        return principal

    return dependency


def require_api_role(*roles: Role) -> Callable[[Request], Principal]:
    """An API route dependency: Bearer token (or a session, for GET and HEAD)."""
    allowed = frozenset(roles)

    def dependency(request: Request) -> Principal:
        principal = api_principal(request)
        if principal is None:
            raise ApiUnauthenticated("a valid API token is required")
        if principal.role not in allowed:
            raise ApiForbidden(f"the {principal.role.value} role may not use this")
        return principal

    return dependency


def require_api_role_in(
    uow: UnitOfWork, request: Request, *roles: Role, now: datetime
) -> Principal:
    """``require_api_role`` for a route whose use case writes: the Bearer token (only,
    as for any state-changing API request) checked in the route's own unit of work, so
    that the check and the work are one transaction. Raises as ``require_api_role``."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    principal = None
    if scheme.lower() == "bearer" and credentials.strip():
        principal = token_principal_in(uow, credentials.strip(), now=now)
    if principal is None:
        raise ApiUnauthenticated("a valid API token is required")
    logs.set_actor(principal.actor)
    if principal.role not in roles:
        uow.commit()  # the token's use noted, as require_api_role notes it
        raise ApiForbidden(f"the {principal.role.value} role may not use this")
    return principal


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this service to return to after signing in."""
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in _NOT_AFTER_SIGN_IN:
        return None
    return value


def sign_in_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = safe_next(here)
    return SIGN_IN_PATH + (f"?next={quote(target, safe='')}" if target and target != "/" else "")


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    return RedirectResponse(sign_in_url(request), status_code=302)


async def _not_permitted(request: Request, exc: Exception) -> Response:
    """The 403 page, with the way back to this person's own pages."""
    principal = getattr(request.state, "principal", None)
    context: dict[str, Any] = {"message": str(exc), "principal": principal, "home": None}
    context["navigation"] = []
    if principal is not None:
        context["home"] = landing_page(principal)
        context["navigation"] = staff_navigation(principal, request.url.path)
    return pages_of(request).render(request, "staff/forbidden.html", context, status_code=403)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiUnauthenticated | ApiForbidden)
    headers = {"Cache-Control": "no-store"}
    code = "forbidden"
    if isinstance(exc, ApiUnauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="codeservice"'
        code = "unauthenticated"
    # The same shape as every other API error: {"error": {"code", "message"}}.
    body = {"error": {"code": code, "message": str(exc)}}
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def install_auth(app: FastAPI, secret: bytes, *, https: bool) -> None:
    """Sessions, and the answers to missing or insufficient credentials."""
    app.state.session_cookies = SessionCookies(secret, https=https)
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(NotPermitted, _not_permitted)
    app.add_exception_handler(ApiUnauthenticated, _api_error)
    app.add_exception_handler(ApiForbidden, _api_error)
    app.add_middleware(SessionCookieWriter)
