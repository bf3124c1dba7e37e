"""Every route, asked by every role and by nobody, answers as this table says.

``EXPECTED`` must name every route of the app: a new route that is not added here
fails ``test_every_route_is_in_the_table``. Describe each with ``public``, ``page``
(anonymous → 302 to sign in, wrong role → 403 page) or ``api`` (anonymous → 401,
wrong role → 403, both JSON), listing the roles it allows and the status they get.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from tests.integration.web.links import csrf_field, csrf_for
from tests.integration.web.staff import make_staff, sign_in

ANONYMOUS = "anonymous"
IDENTITIES = [ANONYMOUS, *(role.value for role in Role)]
ALL = tuple(Role)
UNKNOWN_ACK = "/ack/" + "A" * 43
UNKNOWN_REPORT = "/report/" + "A" * 43
UNKNOWN_SET_PASSWORD = "/set-password/" + "A" * 43
UNKNOWN_ACCOUNT = "/admin/accounts/nobody.here"
UNKNOWN_INCIDENT = "/security/incidents/INC-2027-9999"
BMT_CYCLE = "/bmt/cycles/2027-04"
UNKNOWN_DELIVERY = BMT_CYCLE + "/deliveries/999"


@dataclass(frozen=True)
class Expect:
    statuses: dict[str, int]  # identity -> status
    path: str | None = None  # a concrete path for a route with parameters
    ends_session: bool = False  # asked last, as it signs the caller out
    kind: str = "public"


def public(status: int = 200, *, path: str | None = None, ends_session: bool = False) -> Expect:
    return Expect({who: status for who in IDENTITIES}, path, ends_session)


def page(*roles: Role, ok: int = 200, path: str | None = None) -> Expect:
    statuses = {ANONYMOUS: 302, **{r.value: ok if r in roles else 403 for r in Role}}
    return Expect(statuses, path, kind="page")


def api(*roles: Role, ok: int = 200, path: str | None = None) -> Expect:
    statuses = {ANONYMOUS: 401, **{r.value: ok if r in roles else 403 for r in Role}}
    return Expect(statuses, path, kind="api")


EXPECTED: dict[tuple[str, str], Expect] = {
    ("GET", "/healthz"): public(),
    ("GET", "/readyz"): public(),
    # By address or metrics token, never by role: this client's address is no IP.
    ("GET", "/metrics"): public(403),
    ("GET", "/ack/{token}"): public(404, path=UNKNOWN_ACK),
    ("HEAD", "/ack/{token}"): public(404, path=UNKNOWN_ACK),
    ("POST", "/ack/{token}"): public(404, path=UNKNOWN_ACK),
    # A SPoC's incident report link (Annex B), here one that was never sent.
    ("GET", "/report/{token}"): public(404, path=UNKNOWN_REPORT),
    ("HEAD", "/report/{token}"): public(404, path=UNKNOWN_REPORT),
    ("POST", "/report/{token}"): public(404, path=UNKNOWN_REPORT),
    ("GET", "/report/{token}/sent/{reference}"): public(404, path=UNKNOWN_REPORT + "/sent/IR-1"),
    # Signed in, the sign-in page sends you on; the form sent empty is a 400 for anyone.
    ("GET", "/sign-in"): Expect({ANONYMOUS: 200, **{r.value: 302 for r in Role}}),
    ("POST", "/sign-in"): public(400),
    # The second step needs a half-finished sign-in: without one, back to sign in.
    **{
        (method, path): public(302)
        for method in ("GET", "POST")
        for path in ("/sign-in/second-factor", "/sign-in/recovery-code", "/sign-in/set-up")
    },
    ("POST", "/sign-in/security-key"): public(302),
    ("POST", "/sign-in/set-up/security-key"): public(302),
    # Their security key options are JSON: nobody half signed in here.
    ("GET", "/sign-in/security-key/options"): Expect(dict.fromkeys(IDENTITIES, 401), kind="api"),
    ("GET", "/sign-in/set-up/security-key/options"): Expect(
        dict.fromkeys(IDENTITIES, 401), kind="api"
    ),
    ("GET", "/sign-out"): page(*ALL),
    ("POST", "/sign-out"): public(200, ends_session=True),  # harmless when signed out
    ("GET", "/"): public(302),
    ("GET", "/staff"): page(*ALL),
    ("GET", "/admin/accounts"): page(Role.ADMIN),
    # Your own password (the form sent empty); a set-password link never sent.
    ("GET", "/staff/password"): page(*ALL),
    ("POST", "/staff/password"): page(*ALL, ok=422),
    # Your own second factors: the list, adding an app (a wrong code), new recovery
    # codes, and removing one that is not yours (each test account has one).
    ("GET", "/staff/second-factors"): page(*ALL),
    ("GET", "/staff/second-factors/app"): page(*ALL),
    ("POST", "/staff/second-factors/app"): page(*ALL, ok=422),
    ("POST", "/staff/second-factors/recovery-codes"): page(*ALL),
    ("GET", "/staff/second-factors/security-key"): page(*ALL),
    ("GET", "/staff/second-factors/security-key/options"): page(*ALL),
    ("POST", "/staff/second-factors/security-key"): page(*ALL, ok=422),
    ("POST", "/staff/second-factors/{factor_id}/remove"): page(
        *ALL, ok=404, path="/staff/second-factors/999999/remove"
    ),
    ("GET", "/set-password/{token}"): public(404, path=UNKNOWN_SET_PASSWORD),
    ("POST", "/set-password/{token}"): public(404, path=UNKNOWN_SET_PASSWORD),
    # Staff accounts (admin): the new-account form sent empty, an account that does not exist.
    ("GET", "/admin/accounts/new"): page(Role.ADMIN),
    ("POST", "/admin/accounts/new"): page(Role.ADMIN, ok=422),
    ("GET", "/admin/accounts/{username}"): page(Role.ADMIN, ok=404, path=UNKNOWN_ACCOUNT),
    **{
        ("POST", f"/admin/accounts/{{username}}/{action}"): page(
            Role.ADMIN, ok=404, path=f"{UNKNOWN_ACCOUNT}/{action}"
        )
        for action in ("role", "email", "disable", "enable", "unlock", "reset", "second-factors")
    },
    # The security team's triage of Annex B reports; forms sent empty, a report unknown.
    ("GET", "/security/incidents"): page(Role.SECURITY),
    ("GET", "/security/incidents/new"): page(Role.SECURITY),
    ("POST", "/security/incidents/new"): page(Role.SECURITY, ok=422),
    ("GET", "/security/incidents/{reference}"): page(Role.SECURITY, ok=404, path=UNKNOWN_INCIDENT),
    ("POST", "/security/incidents/{reference}/assess"): page(
        Role.SECURITY, ok=404, path=UNKNOWN_INCIDENT + "/assess"
    ),
    ("POST", "/security/incidents/{reference}/decide"): page(
        Role.SECURITY, ok=404, path=UNKNOWN_INCIDENT + "/decide"
    ),
    # The helpline console (an unknown check; the start form sent without a provider),
    # the security team's locks page (a provider that does not exist) and the helpline
    # API, whose POSTs take a Bearer token only: a session gets 401 like nobody.
    ("GET", "/helpline"): page(Role.AGENT),
    ("POST", "/helpline/challenges"): page(Role.AGENT, ok=422),
    ("GET", "/helpline/challenges/{challenge_id}"): page(
        Role.AGENT, ok=404, path="/helpline/challenges/unknown-check"
    ),
    ("POST", "/helpline/challenges/{challenge_id}/answer"): page(
        Role.AGENT, ok=404, path="/helpline/challenges/unknown-check/answer"
    ),
    ("GET", "/security/helpline"): page(Role.SECURITY),
    ("GET", "/security/helpline/locks/{provider_ref}/unlock"): page(
        Role.SECURITY, ok=404, path="/security/helpline/locks/NOPE999/unlock"
    ),
    ("POST", "/security/helpline/locks/{provider_ref}/unlock"): page(
        Role.SECURITY, ok=404, path="/security/helpline/locks/NOPE999/unlock"
    ),
    ("GET", "/security/helpline/reissue/{provider_ref}"): page(
        Role.SECURITY, ok=404, path="/security/helpline/reissue/NOPE999"
    ),
    ("POST", "/security/helpline/reissue/{provider_ref}"): page(
        Role.SECURITY, ok=404, path="/security/helpline/reissue/NOPE999"
    ),
    ("POST", "/api/v1/challenges"): Expect(dict.fromkeys(IDENTITIES, 401), kind="api"),
    ("POST", "/api/v1/challenges/{challenge_id}/answer"): Expect(
        dict.fromkeys(IDENTITIES, 401), path="/api/v1/challenges/unknown/answer", kind="api"
    ),
    ("GET", "/api/whoami"): api(*ALL),
    # The BMT dashboard: a cycle with nothing issued, a delivery that does not exist;
    # the rotation is refused (no providers), the export form sent without a cycle.
    ("GET", "/bmt"): page(Role.BMT),
    ("GET", "/bmt/register"): page(Role.BMT),
    # The register CSV in the browser: the form sent without a file, a key never made.
    ("GET", "/bmt/register/upload"): page(Role.BMT),
    ("POST", "/bmt/register/upload"): page(Role.BMT, ok=422),
    ("POST", "/bmt/register/apply"): page(Role.BMT, ok=404),
    ("GET", "/bmt/register/{ref}"): page(Role.BMT, ok=404, path="/bmt/register/NOPE999"),
    # A provider's single changes, asked of a provider that does not exist.
    ("POST", "/bmt/register/{ref}/name"): page(Role.BMT, ok=404, path="/bmt/register/NOPE999/name"),
    ("POST", "/bmt/register/{ref}/active"): page(
        Role.BMT, ok=404, path="/bmt/register/NOPE999/active"
    ),
    ("POST", "/bmt/register/{ref}/security-plan"): page(
        Role.BMT, ok=404, path="/bmt/register/NOPE999/security-plan"
    ),
    ("POST", "/bmt/register/{ref}/spocs"): page(
        Role.BMT, ok=404, path="/bmt/register/NOPE999/spocs"
    ),
    ("POST", "/bmt/register/{ref}/spocs/{spoc_id}/active"): page(
        Role.BMT, ok=404, path="/bmt/register/NOPE999/spocs/1/active"
    ),
    ("GET", "/bmt/register/uploads/{key}"): page(
        Role.BMT, ok=404, path="/bmt/register/uploads/" + "0" * 32
    ),
    ("GET", "/bmt/cycles"): page(Role.BMT),
    ("GET", "/bmt/cycles/{cycle}"): page(Role.BMT, path=BMT_CYCLE),
    ("GET", "/bmt/cycles/{cycle}/deliveries/{delivery_id}/resend-document"): page(
        Role.BMT, ok=404, path=UNKNOWN_DELIVERY + "/resend-document"
    ),
    ("POST", "/bmt/cycles/{cycle}/deliveries/{delivery_id}/resend-document"): page(
        Role.BMT, ok=404, path=UNKNOWN_DELIVERY + "/resend-document"
    ),
    ("GET", "/bmt/cycles/{cycle}/deliveries/{delivery_id}/resend-unlock"): page(
        Role.BMT, ok=404, path=UNKNOWN_DELIVERY + "/resend-unlock"
    ),
    ("POST", "/bmt/cycles/{cycle}/deliveries/{delivery_id}/resend-unlock"): page(
        Role.BMT, ok=404, path=UNKNOWN_DELIVERY + "/resend-unlock"
    ),
    ("GET", "/bmt/cycles/{cycle}/rotation"): page(Role.BMT, path=BMT_CYCLE + "/rotation"),
    ("POST", "/bmt/cycles/{cycle}/rotation"): page(Role.BMT, ok=409, path=BMT_CYCLE + "/rotation"),
    # SPoCs added since the cycle's code was issued: nobody waiting, so nothing is sent.
    ("GET", "/bmt/cycles/{cycle}/new-spocs"): page(Role.BMT, path=BMT_CYCLE + "/new-spocs"),
    ("POST", "/bmt/cycles/{cycle}/new-spocs"): page(
        Role.BMT, ok=303, path=BMT_CYCLE + "/new-spocs"
    ),
    # Notices to every SPoC (§56): forms sent empty are shown again with their errors;
    # a notice that does not exist.
    ("GET", "/bmt/notices"): page(Role.BMT),
    ("POST", "/bmt/notices"): page(Role.BMT, ok=422),
    ("GET", "/bmt/notices/new"): page(Role.BMT),
    ("POST", "/bmt/notices/new"): page(Role.BMT),
    ("POST", "/bmt/notices/preview"): page(Role.BMT, ok=422),
    ("GET", "/bmt/notices/{notice_id}"): page(Role.BMT, ok=404, path="/bmt/notices/999"),
    ("GET", "/bmt/export"): page(Role.BMT),
    ("POST", "/bmt/export"): page(Role.BMT, ok=422),
    ("POST", "/bmt/export/download"): page(Role.BMT, ok=410),
    # Its JSON API, described at /openapi.json.
    ("GET", "/openapi.json"): public(),
    ("GET", "/api/v1/dashboard"): api(Role.BMT),
    ("GET", "/api/v1/cycles"): api(Role.BMT),
    ("GET", "/api/v1/cycles/{cycle}"): api(Role.BMT, path="/api/v1/cycles/2027-04"),
    ("GET", "/api/v1/providers"): api(Role.BMT),
}

# Static files: one real file under each mount, public to all.
MOUNTS: dict[str, str] = {
    "/assets": "/assets/govuk-frontend.min.css",
    "/static": "/static/init.js",
}


def _routes(app: FastAPI) -> tuple[set[tuple[str, str]], set[str]]:
    routes: set[tuple[str, str]] = set()
    mounts: set[str] = set()
    _walk(app.routes, "", routes, mounts)
    return routes, mounts


def _walk(
    found: Sequence[BaseRoute], prefix: str, routes: set[tuple[str, str]], mounts: set[str]
) -> None:
    for route in found:
        included = getattr(route, "original_router", None)
        if included is not None:  # newer FastAPI keeps each included router as a branch
            branch_prefix: str = getattr(route, "include_context").prefix  # noqa: B009
            _walk(included.routes, prefix + branch_prefix, routes, mounts)
        elif isinstance(route, Mount):
            mounts.add(prefix + route.path)
        elif isinstance(route, APIRoute):
            routes.update((method, prefix + route.path) for method in route.methods or ())
        else:
            raise AssertionError(f"a route of an unexpected kind: {route!r}")


def test_every_route_is_in_the_table(app: FastAPI) -> None:
    routes, mounts = _routes(app)

    assert sorted(routes - set(EXPECTED)) == [], "add these routes to EXPECTED"
    assert sorted(set(EXPECTED) - routes) == [], "these routes in EXPECTED no longer exist"
    assert mounts == set(MOUNTS)


def _sign_in_as(web_container: Container, client: TestClient, who: str) -> None:
    if who != ANONYMOUS:
        make_staff(web_container, f"{who}.user", who)
        assert sign_in(client, f"{who}.user").status_code == 303


def _csrf_token(client: TestClient, who: str) -> str:
    """A valid form token (and its cookie) from a page this caller can open."""
    return csrf_field(client.get("/sign-in" if who == ANONYMOUS else "/staff").text)


def _ask(client: TestClient, method: str, path: str, token: str) -> tuple[int, str, str]:
    # The token is bound to the path its form is sent to: one as that form would give.
    data = {"csrf_token": csrf_for(client, path)} if method == "POST" else None
    response = client.request(method, path, data=data, follow_redirects=False)
    return response.status_code, response.headers.get("location", ""), response.text


@pytest.mark.parametrize("who", IDENTITIES)
def test_every_route_answers_every_role_as_expected(
    web_container: Container, client: TestClient, who: str
) -> None:
    _sign_in_as(web_container, client, who)
    token = _csrf_token(client, who)
    order = sorted(EXPECTED.items(), key=lambda item: item[1].ends_session)

    wrong: list[str] = []
    for (method, route_path), expect in order:
        path = expect.path or route_path
        status, location, body = _ask(client, method, path, token)
        want = expect.statuses[who]
        if status != want:
            wrong.append(f"{method} {path} as {who}: {status}, expected {want}")
        elif status == 302 and expect.kind == "page" and not location.startswith("/sign-in"):
            wrong.append(f"{method} {path} as {who}: redirected to {location!r}")
        elif status == 403 and expect.kind == "api" and '"error"' not in body:
            wrong.append(f"{method} {path} as {who}: 403 without a JSON error")
        elif status == 403 and expect.kind == "page" and "You cannot do that" not in body:
            wrong.append(f"{method} {path} as {who}: 403 without the error page")
    for mount, path in MOUNTS.items():
        status = client.get(path).status_code
        if status != 200:
            wrong.append(f"GET {path} (under {mount}) as {who}: {status}")

    assert wrong == []


def test_the_table_shows_each_kind_of_answer() -> None:
    """The matrix is not vacuous: it holds allowed, refused and sign-in answers."""
    seen = {status for expect in EXPECTED.values() for status in expect.statuses.values()}

    assert {200, 302, 401, 403} <= seen


@pytest.mark.parametrize("who", IDENTITIES)
def test_every_get_route_answers_head_as_get_without_a_body(
    web_container: Container, client: TestClient, who: str
) -> None:
    """Link checkers, mail scanners and monitors ask with HEAD (RFC 9110 §9.3.2)."""
    _sign_in_as(web_container, client, who)
    wrong: list[str] = []
    for (method, route_path), expect in EXPECTED.items():
        if method != "GET" or expect.ends_session:
            continue
        path = expect.path or route_path
        got = client.get(path, follow_redirects=False)
        head = client.head(path, follow_redirects=False)
        if (head.status_code, head.content) != (got.status_code, b""):
            wrong.append(f"HEAD {path} as {who}: {head.status_code}, GET gave {got.status_code}")
        elif head.headers.get("content-type") != got.headers.get("content-type"):
            wrong.append(f"HEAD {path} as {who}: {head.headers.get('content-type')}")
    assert wrong == []
