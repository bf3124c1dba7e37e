"""Security keys and passkeys in the browser: at the second step of signing in, at the
first sign-in, and added from one's own account.

Each ceremony is two requests: a GET for the options (JSON; the challenge is kept
server-side), then the page's own form, CSRF-protected, carrying the authenticator's
answer (``static/security-keys.js`` fills it in). A browser without WebAuthn never
shows the button; the authenticator app and recovery codes work without JavaScript.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from codeservice.crypto.keyring import Keyring
from codeservice.domain.accounts import Principal
from codeservice.errors import Conflict, InputError
from codeservice.services.staff import key_steps as use
from codeservice.services.staff.second_step import SignInExpired
from codeservice.services.staff.sign_in import SignedIn
from codeservice.services.staff.sign_in_throttle import AddressThrottled, SignInRules
from codeservice.services.staff.webauthn_factors import RelyingParty, relying_party
from codeservice.storage.uow import UnitOfWork
from codeservice.web.auth import ALL_ROLES, SignInRequired, require_role
from codeservice.web.dependencies import client_ip, container_of, require_csrf
from codeservice.web.navigation import staff_page
from codeservice.web.pending_sign_in import current_pending
from codeservice.web.routes.staff.own_factors import FACTORS, staff_id
from codeservice.web.routes.staff.second_step import (
    SECOND_STEP,
    back_to_sign_in,
    finish,
    recovery_codes_page,
    set_up_page,
)
from codeservice.web.routes.staff.work import in_transaction, signing_in

router = APIRouter(include_in_schema=False)
SIGN_IN_KEY = "/sign-in/security-key"
SET_UP_KEY = "/sign-in/set-up/security-key"
ADD_KEY = FACTORS + "/security-key"
Staff = Annotated[Principal, Depends(require_role(*ALL_ROLES))]
Field = Annotated[str, Form()]
NOT_USED = "The security key was not accepted. Try again, or use another way to sign in"
_NO_STORE = {"Cache-Control": "no-store"}


def _rp(request: Request) -> RelyingParty:
    own_origin = f"{request.url.scheme}://{request.url.netloc}"
    return relying_party(container_of(request).settings, own_origin)


def _options(text: str) -> Response:
    return JSONResponse(json.loads(text), headers=_NO_STORE)


def _no_sign_in() -> Response:
    body = {"error": {"code": "unauthenticated", "message": "sign in again"}}
    return JSONResponse(body, status_code=401, headers=_NO_STORE)


@router.get(SIGN_IN_KEY + "/options")
def sign_in_options(request: Request) -> Response:
    pending = current_pending(request)
    if pending is None:
        return _no_sign_in()
    try:
        options = in_transaction(
            request, use.sign_in_key_options, pending.user_id, pending.epoch, _rp(request)
        )
    except SignInExpired:
        return _no_sign_in()
    return _options(options)


@router.post(SIGN_IN_KEY, dependencies=[Depends(require_csrf)])
async def sign_in_with_key(request: Request, credential: Field = "") -> Response:
    rp = _rp(request)

    def check(
        uow: UnitOfWork,
        keyring: Keyring,
        rules: SignInRules,
        user_id: int,
        epoch: int,
        answer: str,
        *,
        ip: str,
        now: datetime,
    ) -> SignedIn:
        return use.second_step_with_key(
            uow, keyring, rules, user_id, epoch, answer, rp, ip=ip, now=now
        )

    return await finish(
        request, check, credential, "staff/second_step.html", field="credential", wrong=NOT_USED
    )


@router.get(SET_UP_KEY + "/options")
def set_up_options(request: Request) -> Response:
    pending = current_pending(request)
    if pending is None:
        return _no_sign_in()
    try:
        options = in_transaction(
            request, use.set_up_key_options, pending.user_id, pending.epoch, _rp(request)
        )
    except (SignInExpired, Conflict):
        return _no_sign_in()
    return _options(options)


@router.post(SET_UP_KEY, dependencies=[Depends(require_csrf)])
def set_up_key(request: Request, credential: Field = "", key_name: Field = "") -> Response:
    pending = current_pending(request)
    if pending is None:
        return back_to_sign_in(request)
    try:
        enrolled = signing_in(
            request,
            use.enrol_key_at_sign_in,
            pending.user_id,
            pending.epoch,
            credential,
            key_name,
            _rp(request),
            ip=client_ip(request),
        )
    except SignInExpired:
        return back_to_sign_in(request)
    except Conflict:
        return RedirectResponse(SECOND_STEP, status_code=303)
    except (InputError, AddressThrottled) as problem:
        errors = {"credential": _sentence(str(problem))}
        return set_up_page(request, pending, errors, status_code=422)
    return recovery_codes_page(
        request, enrolled.signed_in, enrolled.recovery_codes, pending.next_path
    )


@router.get(ADD_KEY)
def add_key_form(request: Request, principal: Staff) -> Response:
    return _add_key_page(request, principal, {})


@router.get(ADD_KEY + "/options")
def add_key_options(request: Request, principal: Staff) -> Response:
    options = in_transaction(request, use.add_key_options, staff_id(request), _rp(request))
    return _options(options)


@router.post(ADD_KEY, dependencies=[Depends(require_csrf)])
def add_key(
    request: Request, principal: Staff, credential: Field = "", key_name: Field = ""
) -> Response:
    try:
        in_transaction(
            request,
            use.add_key,
            staff_id(request),
            credential,
            key_name,
            _rp(request),
            source=client_ip(request),
        )
    except SignInExpired as expired:
        raise SignInRequired() from expired
    except InputError as problem:
        errors = {"credential": _sentence(str(problem))}
        return _add_key_page(request, principal, errors, status_code=422)
    return RedirectResponse(FACTORS + "?done=key-added", status_code=303)


def _add_key_page(
    request: Request, principal: Principal, errors: dict[str, str], *, status_code: int = 200
) -> Response:
    context = {
        "errors": errors,
        "error_list": [{"text": text, "href": f"#{field}"} for field, text in errors.items()],
        "action": ADD_KEY,
        "back": FACTORS,
    }
    return staff_page(
        request,
        principal,
        "staff/add_key.html",
        context,
        status_code=status_code,
        current_path=FACTORS,
    )


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
