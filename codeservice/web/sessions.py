"""Staff sessions in a signed cookie.

The cookie holds the account's id, its ``session_epoch`` and two times: when the
session began and when it was last used, both by the service's clock. It is signed
(not encrypted: it holds nothing secret), HttpOnly, SameSite=Strict, Secure when the
service is on https, and refreshed as it is used, so it lasts ``session_idle_minutes``
after the last request and never more than ``session_max_hours``. Signing out,
disabling the account or resetting its password bumps the epoch in the database,
which ends every cookie issued before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codeservice import logs
from codeservice.domain.accounts import Principal
from codeservice.services.staff.sign_in import SignedIn, session_policy, session_principal
from codeservice.web.dependencies import container_of

COOKIE_NAME = "session"
_REFRESH_AFTER = timedelta(minutes=1)  # refresh the cookie at most once a minute
_PENDING_COOKIE = "codeservice_session_cookie"  # key in the request's scope["state"]


@dataclass(frozen=True)
class Session:
    user_id: int
    epoch: int
    started_at: datetime
    last_seen_at: datetime


class SessionCookies:
    def __init__(self, secret: bytes, *, https: bool) -> None:
        # Not the timed serializer: the times inside are the service's clock's, which
        # is what the session policy is checked against (and what tests can set).
        self._serializer = URLSafeSerializer(secret, salt="codeservice.web.session")
        self._secure = https

    def encode(self, session: Session) -> str:
        return self._serializer.dumps(
            [
                session.user_id,
                session.epoch,
                int(session.started_at.timestamp()),
                int(session.last_seen_at.timestamp()),
            ]
        )

    def decode(self, value: str) -> Session | None:
        try:
            data: object = self._serializer.loads(value)
        except BadSignature:
            return None
        if not (isinstance(data, list) and len(data) == 4 and all(type(n) is int for n in data)):
            return None
        user_id, epoch, started, seen = data
        return Session(
            user_id=user_id,
            epoch=epoch,
            started_at=datetime.fromtimestamp(started, UTC),
            last_seen_at=datetime.fromtimestamp(seen, UTC),
        )

    def set_cookie_header(self, session: Session | None) -> str:
        """The ``Set-Cookie`` value that stores ``session``, or deletes the cookie."""
        response = Response()
        if session is None:
            response.delete_cookie(
                COOKIE_NAME, path="/", secure=self._secure, httponly=True, samesite="strict"
            )
        else:
            response.set_cookie(
                COOKIE_NAME,
                self.encode(session),
                path="/",
                secure=self._secure,
                httponly=True,
                samesite="strict",
            )
        return response.headers["set-cookie"]


class SessionCookieWriter:
    """Adds the session cookie a request decided on (new, refreshed or deleted).

    Routes mostly return their own ``Response`` objects, which leave no place for a
    dependency to add a header; the decision is kept in the request's state instead.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                header = scope.get("state", {}).get(_PENDING_COOKIE)
                if header:
                    cookie = (b"set-cookie", header.encode("latin-1"))
                    message["headers"] = [*message.get("headers", []), cookie]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookies(request: Request) -> SessionCookies:
    return cast(SessionCookies, request.app.state.session_cookies)


def _set_pending(request: Request, session: Session | None) -> None:
    setattr(request.state, _PENDING_COOKIE, _cookies(request).set_cookie_header(session))


# --- starting, reading and ending a session -----------------------------------------


def start_session(request: Request, signed_in: SignedIn) -> None:
    now = container_of(request).now()
    session = Session(signed_in.user_id, signed_in.session_epoch, now, now)
    _set_pending(request, session)
    request.state.session = session
    request.state.principal = signed_in.principal


def end_session(request: Request) -> None:
    """Delete the cookie (the caller ends the session in the database)."""
    _set_pending(request, None)
    request.state.session = None
    request.state.principal = None


def current_session(request: Request) -> Session | None:
    """This request's valid session, refreshing its cookie; None when there is none."""
    if hasattr(request.state, "session"):
        return cast(Session | None, request.state.session)
    session, principal = _read_session(request)
    request.state.session = session
    request.state.principal = principal
    return session


def current_principal(request: Request) -> Principal | None:
    """The signed-in member of staff (pages: the session cookie only)."""
    current_session(request)
    principal = cast(Principal | None, request.state.principal)
    if principal is not None:
        logs.set_actor(principal.actor)
    return principal


def _read_session(request: Request) -> tuple[Session | None, Principal | None]:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None, None
    container = container_of(request)
    now = container.now()
    session = _cookies(request).decode(raw)
    if session is None or not session_policy(container.settings).is_current(
        started_at=session.started_at, last_seen_at=session.last_seen_at, now=now
    ):
        _set_pending(request, None)
        return None, None
    with container.read_uow() as uow:
        principal = session_principal(uow, session.user_id, session.epoch)
    if principal is None:
        _set_pending(request, None)
        return None, None
    if now - session.last_seen_at >= _REFRESH_AFTER:
        session = Session(session.user_id, session.epoch, session.started_at, now)
        _set_pending(request, session)
    return session, principal
