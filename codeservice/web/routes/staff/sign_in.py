"""``/sign-in`` and ``/sign-out`` for staff."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.domain.accounts import Principal
from codeservice.domain.wording import moment_text
from codeservice.services.staff.sign_in import AccountLocked, SignInRefused, sign_in, sign_out
from codeservice.services.staff.sign_in_throttle import AddressThrottled, sign_in_rules
from codeservice.web.auth import ALL_ROLES, require_role, safe_next
from codeservice.web.dependencies import client_ip, container_of, pages_of, require_csrf
from codeservice.web.navigation import landing_page, staff_page
from codeservice.web.pending_sign_in import Pending, pending_cookies
from codeservice.web.routes.staff.work import in_transaction
from codeservice.web.sessions import current_principal, current_session, end_session

router = APIRouter()
SECOND_STEP_PATH = "/sign-in/second-factor"
SET_UP_PATH = "/sign-in/set-up"
_MAX_FIELD = 1024  # longer than any username or password the service accepts


@router.get("/sign-in")
def sign_in_page(request: Request, next_path: Annotated[str, Query(alias="next")] = "") -> Response:
    principal = current_principal(request)
    if principal is not None:
        return RedirectResponse(safe_next(next_path) or landing_page(principal), status_code=302)
    return _form(request, next_path=safe_next(next_path) or "")


@router.post("/sign-in", dependencies=[Depends(require_csrf)])
async def sign_in_submit(request: Request) -> Response:
    form = await request.form()
    username = _text(form.get("username"))
    password = _text(form.get("password"))
    next_path = safe_next(_text(form.get("next")))
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105 (a message)
    if errors:
        return _form(request, next_path=next_path or "", username=username, errors=errors)

    container = container_of(request)
    now = container.now()
    try:
        accepted = await run_in_threadpool(
            sign_in,
            container.uow,
            container.keyring,
            sign_in_rules(container.settings),
            username,
            password,
            ip=client_ip(request),
            now=now,
        )
    except SignInRefused as refused:
        await slow_down(refused.delay)
        return _form(
            request, next_path=next_path or "", username=username, errors={"username": str(refused)}
        )
    except AccountLocked as locked:
        await slow_down(locked.delay)
        return _form(
            request,
            next_path=next_path or "",
            username=username,
            locked_until=locked.locked_until,
            status_code=429,
        )
    except AddressThrottled as throttled:
        return _form(
            request,
            next_path=next_path or "",
            username=username,
            throttled_until=throttled.until,
            status_code=429,
        )
    # Not signed in yet: the second factor (or setting one up) comes next.
    step = SECOND_STEP_PATH if accepted.has_factor else SET_UP_PATH
    response = RedirectResponse(step, status_code=303)
    pending = Pending(accepted.user_id, accepted.session_epoch, now, next_path or "")
    pending_cookies(request).set(response, pending)
    return response


@router.get("/sign-out")
def sign_out_page(
    request: Request, principal: Annotated[Principal, Depends(require_role(*ALL_ROLES))]
) -> Response:
    """GET changes nothing: it asks, and the button signs out."""
    return staff_page(request, principal, "staff/sign_out.html", {})


@router.post("/sign-out", dependencies=[Depends(require_csrf)])
def sign_out_submit(request: Request) -> Response:
    session = current_session(request)
    if session is not None:
        in_transaction(request, sign_out, session.user_id, session.epoch, ip=client_ip(request))
    end_session(request)
    return pages_of(request).render(request, "staff/signed_out.html")


def _form(
    request: Request,
    *,
    next_path: str,
    username: str = "",
    errors: dict[str, str] | None = None,
    locked_until: datetime | None = None,
    throttled_until: datetime | None = None,
    status_code: int | None = None,
) -> Response:
    context: dict[str, Any] = {
        "next": next_path,
        "username": username[:_MAX_FIELD],
        "errors": errors or {},
        "locked_until": "",
        "throttled_until": "",
    }
    tz = container_of(request).settings.tz
    if locked_until is not None:
        context["locked_until"] = moment_text(locked_until, tz)
    if throttled_until is not None:
        context["throttled_until"] = moment_text(throttled_until, tz)
    failed = bool(errors) or locked_until is not None or throttled_until is not None
    status = status_code or (400 if failed else 200)
    return pages_of(request).render(request, "staff/sign_in.html", context, status_code=status)


def _text(value: object) -> str:
    return value[: _MAX_FIELD * 4] if isinstance(value, str) else ""


async def slow_down(delay: timedelta) -> None:
    """Answer a failure late: guessing gets slower, and no thread is held meanwhile."""
    seconds = delay.total_seconds()
    if seconds > 0:
        await asyncio.sleep(seconds)
