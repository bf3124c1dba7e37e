"""``/set-password/<token>``: the person sets their password from the emailed link.

The link works once and expires; a used, replaced, expired or unknown link gets a page
that says so and what to do. The token is in the path (redacted in the access log),
never in a form field; the form's CSRF field is bound to this link's path.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import Response

from codeservice.errors import InputError
from codeservice.services.staff.password_links import (
    SET_PASSWORD_PATH,
    PasswordLinkProblem,
    link_holder,
    set_password_by_link,
)
from codeservice.web.auth import SIGN_IN_PATH
from codeservice.web.dependencies import client_ip, container_of, pages_of, require_csrf

router = APIRouter(include_in_schema=False)
PAGE = SET_PASSWORD_PATH + "{token}"
FIELDS = ("password", "password_again")
Password = Annotated[str, Form()]


@router.get(PAGE)
def set_password_page(request: Request, token: str) -> Response:
    try:
        username = _holder(request, token)
    except PasswordLinkProblem as problem:
        return _problem(request, problem)
    return _form(request, username, {})


@router.post(PAGE, dependencies=[Depends(require_csrf)])
def set_password(
    request: Request, token: str, password: Password = "", password_again: Password = ""
) -> Response:
    container = container_of(request)
    try:
        username = set_password_by_link(
            container.uow,
            container.keyring,
            token,
            password,
            password_again,
            source=client_ip(request),
            now=container.now(),
        )
    except PasswordLinkProblem as problem:
        return _problem(request, problem)
    except InputError as invalid:
        field = invalid.field if invalid.field in FIELDS else "password"
        message = str(invalid)
        errors = {field: message[:1].upper() + message[1:]}
        return _form(request, _holder(request, token), errors, status_code=422)
    context = {"username": username, "sign_in": SIGN_IN_PATH}
    return pages_of(request).render(request, "staff/password_set.html", context)


def _holder(request: Request, token: str) -> str:
    """The username whose password the link sets (``PasswordLinkProblem`` otherwise)."""
    container = container_of(request)
    with container.read_uow() as uow:
        return link_holder(uow, token, now=container.now()).username


def _problem(request: Request, problem: PasswordLinkProblem) -> Response:
    context = {"message": str(problem), "sign_in": SIGN_IN_PATH}
    return pages_of(request).render(
        request, "staff/password_link_problem.html", context, status_code=problem.status_code
    )


def _form(
    request: Request, username: str, errors: dict[str, str], *, status_code: int = 200
) -> Response:
    context: dict[str, Any] = {
        "username": username,
        "errors": errors,
        "error_list": [{"text": text, "href": f"#{field}"} for field, text in errors.items()],
    }
    return pages_of(request).render(
        request, "staff/set_password.html", context, status_code=status_code
    )
