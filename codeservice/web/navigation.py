"""Where each role lands after signing in, and the staff pages' navigation bar.

The places to extend as the BMT dashboard, the security pages and the helpline
console arrive.
"""

from __future__ import annotations

from typing import Any

from codeservice.domain.accounts import Principal, Role

STAFF_HOME = "/staff"
ADMIN_ACCOUNTS = "/admin/accounts"
BMT_DASHBOARD = "/bmt"
BMT_REGISTER = "/bmt/register"
SIGN_OUT = "/sign-out"
HELPLINE_CONSOLE = "/helpline"
SECURITY_HELPLINE = "/security/helpline"
LANDING_PAGES: dict[Role, str] = {
    **{role: STAFF_HOME for role in Role},
    Role.AGENT: HELPLINE_CONSOLE,
}


def landing_page(principal: Principal) -> str:
    return LANDING_PAGES.get(principal.role, STAFF_HOME)


def staff_navigation(principal: Principal, current_path: str) -> list[dict[str, Any]]:
    """The items of the service navigation bar for this member of staff."""
    items: list[dict[str, Any]] = [{"text": "Home", "href": landing_page(principal)}]
    if principal.role is Role.BMT:
        items.append({"text": "Dashboard", "href": BMT_DASHBOARD})
        items.append({"text": "Register", "href": BMT_REGISTER})
    if principal.role is Role.ADMIN:
        items.append({"text": "Accounts and tokens", "href": ADMIN_ACCOUNTS})
    if principal.role is Role.SECURITY:
        items.append({"text": "Helpline locks", "href": SECURITY_HELPLINE})
    items.append({"text": "Sign out", "href": SIGN_OUT})
    for item in items:
        item["current"] = item["href"] == current_path
    return items
