"""A sign-in half done: the password was right, the second factor is still to come.

Kept in its own signed cookie (HttpOnly, SameSite=Strict, Secure on https) holding the
account's id, its ``session_epoch``, when the password was accepted and where to go
afterwards. It is not a session: no page reads it but the second step's, so a
half-signed-in browser reaches nothing else. It lasts ``PENDING_LIFETIME``, and ends
with the account's epoch (sign-out, reset, disabling).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from codeservice.web.auth import safe_next
from codeservice.web.dependencies import container_of

PENDING_COOKIE = "sign_in_pending"
PENDING_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True)
class Pending:
    user_id: int
    epoch: int
    started_at: datetime
    next_path: str


class PendingCookies:
    def __init__(self, secret: bytes, *, https: bool) -> None:
        self._serializer = URLSafeSerializer(secret, salt="codeservice.web.pending-sign-in")
        self._secure = https

    def set(self, response: Response, pending: Pending) -> None:
        value = self._serializer.dumps(
            [
                pending.user_id,
                pending.epoch,
                int(pending.started_at.timestamp()),
                pending.next_path,
            ]
        )
        response.set_cookie(
            PENDING_COOKIE,
            value,
            path="/sign-in",
            secure=self._secure,
            httponly=True,
            samesite="strict",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(
            PENDING_COOKIE, path="/sign-in", secure=self._secure, httponly=True, samesite="strict"
        )

    def read(self, value: str) -> Pending | None:
        try:
            data: object = self._serializer.loads(value)
        except BadSignature:
            return None
        if not (isinstance(data, list) and len(data) == 4):
            return None
        user_id, epoch, started, next_path = data
        if not all(type(n) is int for n in (user_id, epoch, started)):
            return None
        if not isinstance(next_path, str):
            return None
        return Pending(
            user_id, epoch, datetime.fromtimestamp(started, UTC), safe_next(next_path) or ""
        )


def pending_cookies(request: Request) -> PendingCookies:
    return cast(PendingCookies, request.app.state.pending_cookies)


def current_pending(request: Request) -> Pending | None:
    """This browser's half-finished sign-in, if it is still young enough."""
    raw = request.cookies.get(PENDING_COOKIE)
    if not raw:
        return None
    pending = pending_cookies(request).read(raw)
    if pending is None:
        return None
    now = container_of(request).now()
    if not (pending.started_at <= now + timedelta(minutes=1)):
        return None
    if now - pending.started_at > PENDING_LIFETIME:
        return None
    return pending
