"""``/admin/accounts``: staff accounts and API tokens, for administrators.

Each account links to its page (``admin_account``), where it is changed. API tokens
are created and revoked on the command line (``codeservice tokens``), where a new
token is never shown in a browser.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from codeservice.domain.accounts import Principal, Role
from codeservice.services.staff.accounts import list_users
from codeservice.services.staff.api_tokens import list_tokens
from codeservice.web.auth import require_role
from codeservice.web.dependencies import container_of
from codeservice.web.navigation import ADMIN_ACCOUNTS, staff_page
from codeservice.web.routes.staff.admin_account import NEW_ACCOUNT, account_path

router = APIRouter()


@router.get(ADMIN_ACCOUNTS)
def accounts(
    request: Request, principal: Annotated[Principal, Depends(require_role(Role.ADMIN))]
) -> Response:
    container = container_of(request)
    tz = container.settings.tz
    now = container.now()

    with container.read_uow() as uow:
        user_views, token_views = list_users(uow), list_tokens(uow)

    def when(moment: datetime | None) -> str:
        return _short(moment, tz) if moment else "Never"

    users = [
        [
            {"html": _link(account_path(user.name), user.name)},
            {"text": user.display_name or "", "classes": "app-typed"},
            {"text": Role(user.role).label},
            {"text": _state(user.active, user.locked_until, now, tz)},
            {"text": when(user.last_sign_in_at)},
        ]
        for user in user_views
    ]
    tokens = [
        [
            {"text": token.name},
            {"text": Role(token.role).label},
            {"text": token.shown},
            {"text": _short(token.created_at, tz) + " by " + token.created_by},
            {"text": when(token.last_used_at)},
        ]
        for token in token_views
    ]
    return staff_page(
        request,
        principal,
        "staff/admin_accounts.html",
        {"users": users, "tokens": tokens, "new_account": NEW_ACCOUNT},
    )


def _link(href: str, text: str) -> Markup:
    return Markup('<a class="govuk-link" href="{}">{}</a>').format(href, text)


def _state(active: bool, locked_until: datetime | None, now: datetime, tz: ZoneInfo) -> str:
    if not active:
        return "Disabled"
    if locked_until is not None and locked_until > now:
        return f"Locked until {locked_until.astimezone(tz):%H:%M}"
    return "Active"


def _short(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local.day} {local:%b %Y %H:%M}"
