"""Error pages in the GOV.UK style; never a traceback."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from codeservice.errors import CodeserviceError, Conflict, InputError, NotFound
from codeservice.web.access_log import error_log, redact_path
from codeservice.web.api_errors import (
    api_error,
    api_status_error,
    invalid_request_message,
    is_api_path,
)
from codeservice.web.dependencies import FIELD_LABELS, pages_of


@dataclass(frozen=True)
class ErrorPage:
    title: str
    message: str


ERROR_PAGES = {
    400: ErrorPage("There is a problem", "What was sent could not be read. Go back and try again."),
    403: ErrorPage("You cannot do that", "You do not have permission to do this."),
    404: ErrorPage("Page not found", "If you typed the web address, check it is correct."),
    405: ErrorPage("This page cannot be used in that way", "Go back and try again."),
    409: ErrorPage("This has already changed", "Go back, reload the page and try again."),
    410: ErrorPage("This page is no longer available", "The page you were looking for has gone."),
    413: ErrorPage(
        "The information you sent was too long",
        "Nothing was saved. Go back, shorten what you typed and try again.",
    ),
    415: ErrorPage("There is a problem", "What was sent could not be read. Go back and try again."),
    422: ErrorPage("There is a problem", "Some of the information sent was not valid."),
    429: ErrorPage("You have done this too many times", "Wait a while and try again."),
    500: ErrorPage(
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you sent has been lost or half-saved.",
    ),
    503: ErrorPage(
        "Sorry, the service is busy",
        "Nothing you sent was saved. Wait a moment and try again.",
    ),
}


def error_page(
    request: Request, status_code: int, message: str | None = None, *, title: str | None = None
) -> Response:
    """The page for ``status_code``; under ``/api/`` the JSON error instead."""
    if is_api_path(request.url.path):
        return api_status_error(status_code, message)
    page = ERROR_PAGES.get(status_code, ERROR_PAGES[500 if status_code >= 500 else 400])
    return pages_of(request).render(
        request,
        "errors/error.html",
        {
            "title": title or page.title,
            "message": message or page.message,
            "status_code": status_code,
        },
        status_code=status_code,
    )


def server_error_page(request: Request) -> Response:
    return error_page(request, 500)


def status_for(exc: CodeserviceError) -> int:
    explicit = getattr(exc, "status_code", None)
    if isinstance(explicit, int):
        return explicit
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    return 500  # a configuration or operator-side problem: not the visitor's to fix


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = error_page(request, exc.status_code)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_api_path(request.url.path):
        return api_status_error(422, invalid_request_message(exc))
    return error_page(request, 422, _fields_named(exc))


def _fields_named(exc: RequestValidationError) -> str:
    """'Reason: String should have at most 5000 characters. Go back…', never a value sent."""
    problems = []
    for error in exc.errors():
        name = str(error.get("loc", ("", "a field"))[-1])
        label = FIELD_LABELS.get(name, name.replace("-", " ").replace("_", " ").capitalize())
        problems.append(f"{label[:40]}: {error.get('msg', 'not valid')}.")
    return " ".join(dict.fromkeys(problems)) + " Nothing was saved. Go back and try again."


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CodeserviceError)
    status = status_for(exc)
    if status >= 500:
        # Its message is written for an operator (it may name files or settings).
        path = redact_path(request.url.path)
        error_log.error("%s on %s %s: %s", type(exc).__name__, request.method, path, exc)
        return error_page(request, status)
    code = getattr(exc, "code", None)
    if is_api_path(request.url.path) and isinstance(code, str):
        return api_error(code, str(exc), status)
    return error_page(request, status, str(exc), title=getattr(exc, "title", None))


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(CodeserviceError, _service_error)
