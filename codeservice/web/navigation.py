"""Where each role lands after signing in, and the staff pages' navigation bar.

Each role lands on the page it works from: the BMT on its dashboard, the security
team on the incident reports, agents on the helpline console, admins on accounts.
"Your account" (``/staff``) shows who is signed in.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from codeservice.domain.accounts import Principal, Role
from codeservice.web.dependencies import pages_of

STAFF_HOME = "/staff"
ADMIN_ACCOUNTS = "/admin/accounts"
BMT_DASHBOARD = "/bmt"
BMT_REGISTER = "/bmt/register"
BMT_CYCLES = "/bmt/cycles"
BMT_NOTICES = "/bmt/notices"
SIGN_OUT = "/sign-out"
HELPLINE_CONSOLE = "/helpline"
SECURITY_INCIDENTS = "/security/incidents"
SECURITY_HELPLINE = "/security/helpline"
LANDING_PAGES: dict[Role, str] = {
    Role.BMT: BMT_DASHBOARD,
    Role.SECURITY: SECURITY_INCIDENTS,
    Role.AGENT: HELPLINE_CONSOLE,
    Role.ADMIN: ADMIN_ACCOUNTS,
}
SECTIONS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.BMT: (
        ("Dashboard", BMT_DASHBOARD),
        ("Cycles", BMT_CYCLES),
        ("Register", BMT_REGISTER),
        ("Notices to SPoCs", BMT_NOTICES),
    ),
    Role.SECURITY: (
        ("Incident reports", SECURITY_INCIDENTS),
        ("Helpline locks", SECURITY_HELPLINE),
    ),
    Role.AGENT: (("Helpline console", HELPLINE_CONSOLE),),
    Role.ADMIN: (("Accounts and tokens", ADMIN_ACCOUNTS),),
}


def landing_page(principal: Principal) -> str:
    return LANDING_PAGES.get(principal.role, STAFF_HOME)


def staff_navigation(principal: Principal, current_path: str) -> list[dict[str, Any]]:
    """The items of the service navigation bar for this member of staff.

    An item is current on its own page and on the pages under it, unless a more
    specific item (the register, under the dashboard) claims the page.
    """
    items: list[dict[str, Any]] = [
        {"text": text, "href": href} for text, href in SECTIONS.get(principal.role, ())
    ]
    items.append({"text": "Your account", "href": STAFF_HOME})
    items.append({"text": "Sign out", "href": SIGN_OUT})
    matching = [item["href"] for item in items if _within(current_path, item["href"])]
    current = max(matching, key=len, default=None)
    for item in items:
        item["current"] = item["href"] == current
    return items


def staff_page(
    request: Request,
    principal: Principal,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    current_path: str | None = None,
) -> HTMLResponse:
    """A staff page: ``context`` with who is signed in and the navigation bar (its
    current item that of ``current_path``, else of the page's own path)."""
    navigation = staff_navigation(principal, current_path or request.url.path)
    context = {**context, "principal": principal, "navigation": navigation}
    return pages_of(request).render(request, template, context, status_code=status_code)


def _within(path: str, href: str) -> bool:
    return path == href or path.startswith(href.rstrip("/") + "/")
