"""``/staff/password``: a member of staff changes their own password.

The current password is asked for; the new one follows the same policy as every
password (``domain.accounts``). Every other session of the account ends; this one
carries on. A form with problems is shown again with a message on the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.domain.accounts import Principal
from codeservice.errors import InputError
from codeservice.services.staff.own_account import change_own_password
from codeservice.services.staff.sign_in import SignedIn
from codeservice.web.auth import ALL_ROLES, require_role
from codeservice.web.dependencies import client_ip, container_of, require_csrf
from codeservice.web.navigation import STAFF_HOME, staff_page
from codeservice.web.sessions import current_session, start_session

router = APIRouter(include_in_schema=False)
CHANGE_PASSWORD = "/staff/password"  # noqa: S105 (a path)
FIELDS = ("current_password", "new_password", "new_password_again")
Staff = Annotated[Principal, Depends(require_role(*ALL_ROLES))]
Password = Annotated[str, Form()]


@router.get(CHANGE_PASSWORD)
def password_form(request: Request, principal: Staff) -> Response:
    return _form(request, principal, {})


@router.post(CHANGE_PASSWORD, dependencies=[Depends(require_csrf)])
def change_password(
    request: Request,
    principal: Staff,
    current_password: Password = "",
    new_password: Password = "",
    new_password_again: Password = "",
) -> Response:
    session = current_session(request)
    assert session is not None  # require_role saw to it
    container = container_of(request)
    try:
        epoch = change_own_password(
            container.uow,
            container.keyring,
            session.user_id,
            current=current_password,
            new=new_password,
            again=new_password_again,
            source=client_ip(request),
            now=container.now(),
        )
    except InputError as problem:
        field = problem.field if problem.field in FIELDS else "new_password"
        return _form(request, principal, {field: _sentence(str(problem))}, status_code=422)
    start_session(request, SignedIn(session.user_id, epoch, principal))
    return RedirectResponse(STAFF_HOME + "?password=changed", status_code=303)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def _form(
    request: Request, principal: Principal, errors: dict[str, str], *, status_code: int = 200
) -> Response:
    context: dict[str, Any] = {
        "errors": errors,
        "error_list": [{"text": text, "href": f"#{field}"} for field, text in errors.items()],
        "action": CHANGE_PASSWORD,
        "back": STAFF_HOME,
    }
    return staff_page(
        request, principal, "staff/change_password.html", context, status_code=status_code
    )
