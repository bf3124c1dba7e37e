"""The access log, written by us so that no link token ever reaches it.

Uvicorn's own access log prints the full path, and acknowledgement links carry their
token in the path; it is switched off and this middleware logs instead, with token
paths redacted and no query string. It also turns an unhandled exception into the 500
page, logging the traceback against the redacted path.

Each request gets an id — the caller's ``X-Request-ID`` when it is short and plain,
else a new one — returned in the response's ``X-Request-ID`` and carried by every log
line written while it is served (``codeservice.logs``). Its time is observed in the
latency histogram under the route's template (``/api/v1/challenges/{challenge_id}``),
never the path itself.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codeservice import logs, metrics

log = logging.getLogger("codeservice.web.access")
error_log = logging.getLogger("codeservice.web.error")

TOKEN_PATH_PREFIXES = ("/ack/", "/report/", "/set-password/")
_TOKEN_PLACES = frozenset(prefix.strip("/") for prefix in TOKEN_PATH_PREFIXES)
_TOKEN_LIKE_RUN = re.compile(r"[A-Za-z0-9_-]{20,}")


def redact_path(path: str) -> str:
    """``/ack/<token>`` -> ``/ack/…``, and any long token-like run elsewhere too.

    The path as the client sent it, which need not be one a route takes: whatever
    follows a segment that carries a token in some route (``//ack/<token>.``,
    ``/ACK/<token>``) is dropped, and a run of 20 or more token characters anywhere
    else (``/x/<token>.``) is replaced."""
    segments = path.split("/")
    for at, segment in enumerate(segments[:-1]):
        if segment.lower() in _TOKEN_PLACES:
            return "/".join(segments[: at + 1]) + "/…"
    return "/".join(_TOKEN_LIKE_RUN.sub("…", segment) for segment in segments)


class RequestLog:
    def __init__(self, app: ASGIApp, *, error_page: Callable[[Request], Response]) -> None:
        self.app = app
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        request_id = logs.request_id_from(_header(scope, b"x-request-id"))
        bound = logs.bind(request_id)

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        path = redact_path(scope.get("path", ""))
        try:
            await self.app(scope, receive, send_noting_status)
        except Exception:
            error_log.exception("unhandled error on %s %s", scope.get("method"), path)
            if status:  # the response had begun; nothing more can be sent
                raise
            try:
                page = self.error_page(Request(scope, receive))
            except Exception:
                error_log.exception("the error page itself failed")
                page = PlainTextResponse("Sorry, there is a problem with the service.", 500)
            await page(scope, receive, send_noting_status)
        finally:
            elapsed = time.perf_counter() - started
            metrics.HTTP_REQUEST_SECONDS.labels(_route(scope), f"{status // 100}xx").observe(
                elapsed
            )
            client = scope.get("client")
            log.info(
                '%s "%s %s HTTP/%s" %d %.1fms',
                client[0] if client else "-",
                scope.get("method"),
                path,
                scope.get("http_version", "1.1"),
                status,
                elapsed * 1000,
            )
            logs.unbind(bound)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _route(scope: Scope) -> str:
    """The template of the route that answered (``/ack/{token}``), or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"
