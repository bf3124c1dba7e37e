"""Cross-site request forgery protection for forms, without a sign-in session.

A double-submit cookie, signed: the page that shows a form sets a random value in the
``csrf`` cookie (HttpOnly, SameSite=Strict) and puts the same value, signed with the
web secret and timestamped, in a hidden field. A POST is accepted only when the field's
signature verifies, it is recent, and it matches the cookie. ``Origin`` and
``Sec-Fetch-Site``, when the browser sends them, must say the form came from us.

The signature is bound to the path the form is sent to (its ``action``), so a field
taken from one page works for that form only: a token from ``/ack/A`` is refused on
``/ack/B`` (another SPoC's link) and on ``/report/A``. The path is in the signature's
salt, not in the field, so a link's token never appears in a form field.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from codeservice.errors import CodeserviceError

COOKIE_NAME = "csrf"
FIELD_NAME = "csrf_token"
_COOKIE_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
_ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


class CsrfRejected(CodeserviceError):
    """The form's token is missing, stale or does not match the cookie."""

    status_code = 400
    title = "Your session expired"

    def __init__(self) -> None:
        super().__init__("Your session expired — go back and try again")


class CrossSiteRequest(CodeserviceError):
    """The browser says the form was sent from another site."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__("This form can only be sent from this service's own pages")


def _salt(path: str) -> str:
    return "codeservice.web.csrf:" + path


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Csrf:
    def __init__(
        self, secret: bytes, *, base_url: str, max_age: timedelta = timedelta(hours=12)
    ) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="codeservice.web.csrf")
        self._base_origin = origin_of(base_url)
        self._secure = self._base_origin.startswith("https://")
        self._max_age = int(max_age.total_seconds())

    def cookie_value(self, request: Request) -> str:
        """This request's cookie value: the browser's own if it has one, else a new one."""
        value: str | None = getattr(request.state, "csrf_cookie", None)
        if value is None:
            existing = request.cookies.get(COOKIE_NAME, "")
            value = existing if _COOKIE_SHAPE.fullmatch(existing) else secrets.token_urlsafe(32)
            request.state.csrf_cookie = value
        return value

    def field_value(self, request: Request, action: str | None = None) -> str:
        """The hidden field for a form sent to ``action`` (by default, this page's path)."""
        path = unquote(urlsplit(action).path) if action else request.url.path
        return self.token_for(self.cookie_value(request), path)

    def token_for(self, cookie: str, path: str) -> str:
        """The field that goes with ``cookie`` for a form sent to ``path``."""
        return self._serializer.dumps(cookie, salt=_salt(path))

    def set_cookie(self, request: Request, response: Response) -> None:
        response.set_cookie(
            COOKIE_NAME,
            self.cookie_value(request),
            httponly=True,
            samesite="strict",
            secure=self._secure,
            path="/",
        )

    async def verify(self, request: Request) -> None:
        self._check_origin(request)
        form = await request.form()
        field = form.get(FIELD_NAME)
        cookie = request.cookies.get(COOKIE_NAME, "")
        if not isinstance(field, str) or not _COOKIE_SHAPE.fullmatch(cookie):
            raise CsrfRejected()
        try:
            signed: object = self._serializer.loads(
                field, max_age=self._max_age, salt=_salt(request.url.path)
            )
        except BadSignature:  # includes SignatureExpired
            raise CsrfRejected() from None
        if not isinstance(signed, str) or not hmac.compare_digest(signed, cookie):
            raise CsrfRejected()

    def _check_origin(self, request: Request) -> None:
        site = request.headers.get("sec-fetch-site")
        if site is not None and site.lower() not in _ALLOWED_FETCH_SITES:
            raise CrossSiteRequest()
        origin = request.headers.get("origin")
        # Under our own "Referrer-Policy: no-referrer" browsers send "Origin: null" even
        # for a same-origin form, so "null" proves nothing either way; the signed token
        # (and Sec-Fetch-Site, which browsers still send) must then carry the check.
        if origin is None or origin == "null":
            return
        # The request's own origin is allowed too: behind a proxy that keeps the Host
        # header, or in a test server on another port, it is still this service.
        own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
        if origin.lower() not in {self._base_origin, own}:
            raise CrossSiteRequest()
