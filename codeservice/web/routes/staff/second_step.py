"""The second step of signing in: ``/sign-in/second-factor`` (a code from the app),
``/sign-in/recovery-code``, and ``/sign-in/set-up`` for an account with no second factor
yet (at its first sign-in, or after an administrator's reset).

Each needs the half-finished sign-in's cookie (``web.pending_sign_in``); without it,
or when it has expired, the browser goes back to the sign-in page. Only a finished
second step starts a session.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.domain.second_factors import FactorKind
from codeservice.domain.wording import moment_text
from codeservice.errors import Conflict, InputError
from codeservice.services.staff import second_step as use
from codeservice.services.staff.sign_in import SignedIn
from codeservice.services.staff.sign_in_throttle import (
    AccountLocked,
    AddressThrottled,
    SignInRefused,
)
from codeservice.services.staff.totp_factors import setup_totp
from codeservice.web.auth import SIGN_IN_PATH
from codeservice.web.dependencies import client_ip, container_of, pages_of, require_csrf
from codeservice.web.navigation import landing_page
from codeservice.web.pending_sign_in import Pending, current_pending, pending_cookies
from codeservice.web.qr import qr_svg
from codeservice.web.routes.staff.sign_in import SECOND_STEP_PATH, SET_UP_PATH, slow_down
from codeservice.web.routes.staff.work import in_transaction, signing_in
from codeservice.web.sessions import start_session

router = APIRouter(include_in_schema=False)
SECOND_STEP = SECOND_STEP_PATH
RECOVERY = "/sign-in/recovery-code"
SET_UP = SET_UP_PATH
Field = Annotated[str, Form()]


def back_to_sign_in(request: Request) -> Response:
    response = RedirectResponse(SIGN_IN_PATH, status_code=302)
    pending_cookies(request).clear(response)
    return response


@router.get(SECOND_STEP)
def code_form(request: Request) -> Response:
    return _step_page(request, "staff/second_step.html", {})


@router.post(SECOND_STEP, dependencies=[Depends(require_csrf)])
async def code_submit(request: Request, code: Field = "") -> Response:
    return await finish(request, use.second_step_with_code, code, "staff/second_step.html")


@router.get(RECOVERY)
def recovery_form(request: Request) -> Response:
    return _step_page(request, "staff/recovery_code.html", {})


@router.post(RECOVERY, dependencies=[Depends(require_csrf)])
async def recovery_submit(request: Request, code: Field = "") -> Response:
    return await finish(
        request, use.second_step_with_recovery_code, code, "staff/recovery_code.html"
    )


@router.get(SET_UP)
def set_up_form(request: Request) -> Response:
    pending = current_pending(request)
    if pending is None:
        return back_to_sign_in(request)
    return set_up_page(request, pending, {})


@router.post(SET_UP, dependencies=[Depends(require_csrf)])
def set_up_submit(request: Request, code: Field = "", name: Field = "") -> Response:
    pending = current_pending(request)
    if pending is None:
        return back_to_sign_in(request)
    try:
        enrolled = signing_in(
            request,
            use.enrol_app_at_sign_in,
            pending.user_id,
            pending.epoch,
            code,
            name,
            ip=client_ip(request),
        )
    except use.SignInExpired:
        return back_to_sign_in(request)
    except Conflict:
        return RedirectResponse(SECOND_STEP, status_code=303)
    except InputError as problem:
        errors = {"code": _sentence(str(problem))}
        return set_up_page(request, pending, errors, name=name, status_code=422)
    except AddressThrottled as throttled:
        return _throttled(request, "staff/set_up.html", throttled)
    return recovery_codes_page(
        request, enrolled.signed_in, enrolled.recovery_codes, pending.next_path
    )


def recovery_codes_page(
    request: Request, signed_in: SignedIn, codes: list[str], next_path: str
) -> Response:
    """The session begins, and the new recovery codes are shown: this once only."""
    start_session(request, signed_in)
    context = {"codes": codes, "next": next_path or landing_page(signed_in.principal)}
    response = pages_of(request).render(request, "staff/recovery_codes.html", context)
    pending_cookies(request).clear(response)
    return response


def _step_page(
    request: Request, template: str, errors: dict[str, str], *, status_code: int = 200
) -> Response:
    pending = current_pending(request)
    if pending is None:
        return back_to_sign_in(request)
    try:
        account = _pending_account(request, pending)
    except use.SignInExpired:
        return back_to_sign_in(request)
    if not account.kinds:
        return RedirectResponse(SET_UP, status_code=303)
    context = {
        "errors": errors,
        "has_app": FactorKind.TOTP in account.kinds,
        "has_key": FactorKind.WEBAUTHN in account.kinds,
        "locked_until": "",
        "throttled_until": "",
    }
    return pages_of(request).render(
        request, template, _with_problems(context), status_code=status_code
    )


async def finish(
    request: Request,
    check: Any,
    code: str,
    template: str,
    *,
    field: str = "code",
    wrong: str = "The code is not right. Check it and try again",
) -> Response:
    """Send the second step's answer, ``check(uow, keyring, rules, user_id, epoch, code,
    ip=, now=)``; a refusal shows the page again with ``wrong``."""
    pending = current_pending(request)
    if pending is None:
        return back_to_sign_in(request)
    if not code.strip():
        return _step_page(request, template, {field: "Enter the code"}, status_code=400)
    try:
        signed_in: SignedIn = await run_in_threadpool(
            signing_in, request, check, pending.user_id, pending.epoch, code, ip=client_ip(request)
        )
    except use.SignInExpired:
        return back_to_sign_in(request)
    except SignInRefused as refused:
        await slow_down(refused.delay)
        return _step_page(request, template, {field: wrong}, status_code=400)
    except AccountLocked as locked:
        await slow_down(locked.delay)
        return _locked(request, template, locked)
    except AddressThrottled as throttled:
        return _throttled(request, template, throttled)
    start_session(request, signed_in)
    target = pending.next_path or landing_page(signed_in.principal)
    response = RedirectResponse(target, status_code=303)
    pending_cookies(request).clear(response)
    return response


def _locked(request: Request, template: str, locked: AccountLocked) -> Response:
    when = moment_text(locked.locked_until, container_of(request).settings.tz)
    context = {"errors": {}, "locked_until": when, "throttled_until": "", "has_app": True}
    response = pages_of(request).render(request, template, _with_problems(context), status_code=429)
    pending_cookies(request).clear(response)
    return response


def _throttled(request: Request, template: str, throttled: AddressThrottled) -> Response:
    when = moment_text(throttled.until, container_of(request).settings.tz)
    context = {"errors": {}, "locked_until": "", "throttled_until": when, "has_app": True}
    return pages_of(request).render(request, template, _with_problems(context), status_code=429)


def set_up_page(
    request: Request,
    pending: Pending,
    errors: dict[str, str],
    *,
    name: str = "",
    status_code: int = 200,
) -> Response:
    try:
        account = _pending_account(request, pending)
    except use.SignInExpired:
        return back_to_sign_in(request)
    if account.kinds:
        return RedirectResponse(SECOND_STEP, status_code=303)
    setup = in_transaction(request, setup_totp, pending.user_id)
    context = {
        "errors": errors,
        "qr": qr_svg(setup.uri),
        "key": setup.grouped,
        "name": name[:80],
        "action": SET_UP,
        "locked_until": "",
        "throttled_until": "",
    }
    return pages_of(request).render(
        request, "staff/set_up.html", _with_problems(context), status_code=status_code
    )


def _pending_account(request: Request, pending: Pending) -> use.PendingAccount:
    with container_of(request).read_uow() as uow:
        return use.pending_account(uow, pending.user_id, pending.epoch)


def _with_problems(context: dict[str, Any]) -> dict[str, Any]:
    """The error summary's lines: the address throttled, the account locked, or the code."""
    if context.get("throttled_until"):
        text = (
            "There have been too many attempts to sign in from your network. Try again after "
            f"{context['throttled_until']}."
        )
        problems = [{"text": text, "href": "#code"}]
    elif context.get("locked_until"):
        text = (
            "This account is locked because of too many wrong codes or passwords. Try again "
            f"after {context['locked_until']}, or ask an administrator to unlock it."
        )
        problems = [{"text": text, "href": "#code"}]
    else:
        errors: dict[str, str] = context.get("errors", {})
        problems = [{"text": text, "href": f"#{field}"} for field, text in errors.items()]
    return {**context, "problems": problems}


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
