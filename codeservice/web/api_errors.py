"""Errors under ``/api/``: always ``{"error": {"code": ..., "message": ...}}``, as JSON.

Machines read these answers, so whatever goes wrong — an unknown path, a wrong method,
a body that is not JSON or not UTF-8, a body too large, a server error — they get the
same shape, never the HTML page a person would see. No message repeats a value sent.
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from starlette.responses import JSONResponse

API_PREFIX = "/api/"
NO_STORE = {"Cache-Control": "no-store"}

# The code sent with a status when nothing more precise is known.
CODE_BY_STATUS: dict[int, str] = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "server_error",
}
MESSAGE_BY_STATUS: dict[int, str] = {
    400: "the request could not be read",
    401: "a valid API token is required",
    403: "this is not allowed",
    404: "there is nothing at this address",
    405: "this address does not accept that method",
    409: "this clashes with the current state; fetch it again and retry",
    410: "this is no longer available",
    413: "the request body is too large",
    415: "the request body must be JSON (Content-Type: application/json)",
    422: "the request is not valid",
    429: "too many requests; try again later",
    500: "the service cannot do this now",
}


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/")


def api_error(
    code: str, message: str, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def api_status_error(
    status: int, message: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The error for ``status`` when the route has no code of its own to give."""
    general = 500 if status >= 500 else 400
    code = CODE_BY_STATUS.get(status, CODE_BY_STATUS[general])
    text = message or MESSAGE_BY_STATUS.get(status, MESSAGE_BY_STATUS[general])
    return api_error(code, text, status, headers)


def invalid_request_message(exc: RequestValidationError) -> str:
    """What is wrong with the request, naming fields and rules but never a value sent."""
    problems = []
    for error in exc.errors():
        kind = error.get("type")
        if kind == "extra_forbidden":
            problems.append("unknown fields are not allowed")
            continue
        if kind == "json_invalid":
            problems.append("the body is not valid JSON")
            continue
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else "invalid body")
    return "the request is not valid: " + "; ".join(dict.fromkeys(problems))
