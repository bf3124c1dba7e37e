"""``/admin/accounts/...``: an administrator adds and changes staff accounts.

The same use cases as ``codeservice users``, so the same rules: the last active
administrator can be neither disabled nor given another role. A new account and a
reset get a set-password link by email; the administrator never sees a password.
Every action is a CSRF-protected POST that redirects to the account's page; a refusal
shows the page again with the reason, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.domain.accounts import Principal, Role
from codeservice.errors import Conflict, InputError
from codeservice.services.staff import account_changes as use
from codeservice.services.staff.accounts import get_user
from codeservice.services.staff.password_links import add_account, send_reset_link, set_email
from codeservice.services.staff.second_factors import overview_of, reset_second_factors
from codeservice.storage.uow import UnitOfWork
from codeservice.web.auth import require_role
from codeservice.web.dependencies import client_ip, container_of, require_csrf
from codeservice.web.navigation import ADMIN_ACCOUNTS, staff_page

router = APIRouter(include_in_schema=False)
NEW_ACCOUNT = ADMIN_ACCOUNTS + "/new"
ACCOUNT = ADMIN_ACCOUNTS + "/{username}"
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
Field = Annotated[str, Form()]
NEW_FIELDS = ("username", "display_name", "email", "role")
DONE = {
    "added": "The account has been added and a link to set its password has been sent.",
    "role": "The role has been changed. The person's sessions have ended.",
    "email": "The email address has been changed.",
    "disabled": "The account has been disabled. Its sessions have ended.",
    "enabled": "The account has been enabled.",
    "unlocked": "The account has been unlocked.",
    "not-locked": "The account was not locked.",
    "reset": "A link to set a new password has been sent. The old password no longer works.",
    "second-factors": "The second factors and recovery codes have been removed. The person "
    "sets up a new second factor when they next sign in.",
}


def account_path(username: str) -> str:
    return f"{ADMIN_ACCOUNTS}/{quote(username, safe='')}"


@router.get(NEW_ACCOUNT)
def new_account_form(request: Request, principal: Admin) -> Response:
    return _new_form(request, principal, dict.fromkeys(NEW_FIELDS, ""), {})


@router.post(NEW_ACCOUNT, dependencies=[Depends(require_csrf)])
def new_account(
    request: Request,
    principal: Admin,
    username: Field = "",
    display_name: Field = "",
    email: Field = "",
    role: Field = "",
) -> Response:
    typed = {"username": username, "display_name": display_name, "email": email, "role": role}
    errors = {}
    if role not in {r.value for r in Role}:
        errors["role"] = "Choose what the account may do"
    if not username.strip():
        errors["username"] = "Enter a username"
    if not email.strip():
        errors["email"] = "Enter the person's email address"
    if errors:
        return _new_form(request, principal, typed, errors, status_code=422)
    container = container_of(request)
    now = container.now()
    try:
        with container.transaction() as uow:
            view = add_account(
                uow,
                container.mailroom,
                username,
                role=Role(role),
                display_name=display_name,
                email=email,
                actor=principal.actor,
                source=client_ip(request),
                now=now,
            )
    except (InputError, Conflict) as problem:
        field = getattr(problem, "field", None)
        errors = {field if field in NEW_FIELDS else "username": _sentence(str(problem))}
        status = 409 if isinstance(problem, Conflict) else 422
        return _new_form(request, principal, typed, errors, status_code=status)
    return RedirectResponse(account_path(view.name) + "?done=added", status_code=303)


@router.get(ACCOUNT)
def account(request: Request, principal: Admin, username: str) -> Response:
    return _account_page(request, principal, username, {})


@router.post(ACCOUNT + "/role", dependencies=[Depends(require_csrf)])
def role(request: Request, principal: Admin, username: str, role: Field = "") -> Response:
    if role not in {r.value for r in Role}:
        errors = {"role": "Choose what the account may do"}
        return _account_page(request, principal, username, errors, status_code=422)
    return _change(request, principal, username, use.change_role, Role(role), done="role")


@router.post(ACCOUNT + "/email", dependencies=[Depends(require_csrf)])
def email(request: Request, principal: Admin, username: str, email: Field = "") -> Response:
    return _change(request, principal, username, set_email, email, done="email", status_code=422)


@router.post(ACCOUNT + "/disable", dependencies=[Depends(require_csrf)])
def disable(request: Request, principal: Admin, username: str) -> Response:
    return _change(request, principal, username, use.disable_user, done="disabled", field="state")


@router.post(ACCOUNT + "/enable", dependencies=[Depends(require_csrf)])
def enable(request: Request, principal: Admin, username: str) -> Response:
    return _change(request, principal, username, use.enable_user, done="enabled", field="state")


@router.post(ACCOUNT + "/unlock", dependencies=[Depends(require_csrf)])
def unlock(request: Request, principal: Admin, username: str) -> Response:
    def act(uow: UnitOfWork, name: str, actor: str, source: str, now: datetime) -> str:
        keyring = container_of(request).keyring
        was_locked = use.unlock_user(uow, keyring, name, actor=actor, source=source, now=now)
        return "unlocked" if was_locked else "not-locked"

    return _act(request, principal, username, act, field="unlock")


@router.post(ACCOUNT + "/reset", dependencies=[Depends(require_csrf)])
def reset(request: Request, principal: Admin, username: str) -> Response:
    def act(uow: UnitOfWork, name: str, actor: str, source: str, now: datetime) -> str:
        send_reset_link(
            uow, container_of(request).mailroom, name, actor=actor, source=source, now=now
        )
        return "reset"

    return _act(request, principal, username, act, field="reset")


@router.post(ACCOUNT + "/second-factors", dependencies=[Depends(require_csrf)])
def reset_factors(request: Request, principal: Admin, username: str) -> Response:
    return _change(request, principal, username, reset_second_factors, done="second-factors")


def _change(
    request: Request,
    principal: Admin,
    username: str,
    change: Callable[..., object],
    *args: object,
    done: str,
    field: str = "",
    status_code: int = 409,
) -> Response:
    """``change(uow, keyring, name, *args, actor=, source=, now=)`` through ``_act``; a
    refusal is shown at ``field`` (by default the one named ``done``)."""

    def act(uow: UnitOfWork, name: str, actor: str, source: str, now: datetime) -> str:
        keyring = container_of(request).keyring
        change(uow, keyring, name, *args, actor=actor, source=source, now=now)
        return done

    return _act(request, principal, username, act, field=field or done, status_code=status_code)


def _act(
    request: Request,
    principal: Admin,
    username: str,
    act: Callable[[UnitOfWork, str, str, str, datetime], str],
    *,
    field: str,
    status_code: int = 409,
) -> Response:
    """``act(uow, name, actor, source, now)`` in one transaction, at one ``now``."""
    container = container_of(request)
    with container.read_uow() as uow:
        view = get_user(uow, username)  # NotFound: the 404 page
    now = container.now()
    try:
        with container.transaction() as uow:
            done = act(uow, view.name, principal.actor, client_ip(request), now)
    except (InputError, Conflict) as problem:
        errors = {field: _sentence(str(problem))}
        return _account_page(request, principal, username, errors, status_code=status_code)
    return RedirectResponse(account_path(view.name) + f"?done={done}", status_code=303)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def _render(
    request: Request, principal: Principal, template: str, context: dict[str, Any], status: int
) -> Response:
    errors: dict[str, str] = context["errors"]
    context = {
        "error_list": [{"text": text, "href": f"#{field}"} for field, text in errors.items()],
        "accounts": ADMIN_ACCOUNTS,
        "roles": [{"value": r.value, "text": r.label} for r in Role],
        **context,
    }
    return staff_page(
        request, principal, template, context, status_code=status, current_path=ADMIN_ACCOUNTS
    )


def _new_form(
    request: Request,
    principal: Principal,
    typed: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    context = {"form": typed, "errors": errors, "action": NEW_ACCOUNT}
    return _render(request, principal, "staff/admin_new_account.html", context, status_code)


def _account_page(
    request: Request,
    principal: Principal,
    username: str,
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    container = container_of(request)
    with container.read_uow() as uow:
        view = get_user(uow, username)
        factors = overview_of(uow, view.name)
    now = container.now()
    path = account_path(view.name)
    context = {
        "user": view,
        "errors": errors,
        "done": DONE.get(request.query_params.get("done", "")) if not errors else None,
        "locked": view.locked_until is not None and view.locked_until > now,
        "role_label": Role(view.role).label,
        "factors": factors,
        "paths": {action: f"{path}/{action}" for action in DONE_ACTIONS},
    }
    return _render(request, principal, "staff/admin_account.html", context, status_code)


DONE_ACTIONS = ("role", "email", "disable", "enable", "unlock", "reset", "second-factors")
