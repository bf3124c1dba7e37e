"""How much a request may send: the body as a whole, and each form field.

A body larger than ``max_request_kib`` (a register upload's: ``register_max_bytes``
and room for the form around it) is refused with 413 before it is read: at once
when ``Content-Length`` says so, and otherwise as soon as the streamed bytes pass the
limit (a chunked body has no length to check). Whatever the app had begun to answer is
dropped, so the visitor sees the 413 page (or the JSON error under ``/api/``), and
nothing was saved: no route gets past reading its body.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codeservice.domain.text import unusable_character
from codeservice.errors import CodeserviceError

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")


class RequestTooLarge(CodeserviceError):
    """The body, or one field of a form, is longer than the service accepts."""

    status_code = 413
    code = "too_large"
    title = "The information you sent was too long"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class _BodyOverLimit(Exception):
    """Raised into the app from ``receive`` to stop it reading any further."""


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        too_large: Callable[[Request, RequestTooLarge], Response],
        larger: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.too_large = too_large
        self.larger = larger or {}  # path -> its own limit (a file upload's form)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope["path"], self.max_bytes)
        refusal = RequestTooLarge(
            f"The information you sent was too long: at most {max_bytes // 1024:,} KiB "
            "can be sent at once. Nothing was saved."
        )
        if self._declared_length(scope) > max_bytes:
            await self.too_large(Request(scope), refusal)(scope, receive, send)
            return

        received = 0
        over = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    over = True
                    raise _BodyOverLimit()
            return message

        async def send_unless_over(message: Message) -> None:
            nonlocal started
            if over:
                return  # the app's answer to a half-read body is replaced by the 413
            started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, send_unless_over)
        except _BodyOverLimit:
            pass
        except Exception:
            if not over:
                raise
        if over and not started:
            await self.too_large(Request(scope), refusal)(scope, receive, send)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0
        return 0


class UnusablePath:
    """A path holding a character the service refuses anywhere (a control character such
    as ``%00`` or ``%0a``, a bidi control…) is nobody's page: 404
    before any route looks it up (PostgreSQL refuses NUL in a string, so a provider
    ref or a token read from the path would otherwise end as a 500). Query strings
    are the forms' to check: they name the field."""

    def __init__(self, app: ASGIApp, *, not_found: Callable[[Request], Response]) -> None:
        self.app = app
        self.not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _unusable_path(scope["path"]):
            await self.not_found(Request(scope))(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _unusable_path(path: str) -> bool:
    return unusable_character(path) is not None


def check_form_fields(form: FormData, max_chars: int, labels: dict[str, str]) -> None:
    """Refuse a form with any text field over ``max_chars``, naming the field."""
    for name, value in form.multi_items():
        if isinstance(value, str) and len(value) > max_chars:
            plain = name.replace("-", " ").replace("_", " ")
            label = labels.get(name) or (plain if _PLAIN_NAME.fullmatch(name) else "a field")
            raise RequestTooLarge(
                f"The information you sent was too long: ‘{label}’ can be at most "
                f"{max_chars:,} characters. Nothing was saved — go back and shorten it."
            )
