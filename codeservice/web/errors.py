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
from codeservice.web.dependencies import pages_of


@dataclass(frozen=True)
class ErrorPage:
    title: str
    message: str


ERROR_PAGES = {
    400: ErrorPage("Your session expired", "Go back and try again."),
    403: ErrorPage("You cannot do that", "You do not have permission to do this."),
    404: ErrorPage("Page not found", "If you typed the web address, check it is correct."),
    405: ErrorPage("Page not found", "This page cannot be used in that way."),
    409: ErrorPage("This has already changed", "Go back, reload the page and try again."),
    410: ErrorPage("This page is no longer available", "The page you were looking for has gone."),
    422: ErrorPage("There is a problem", "Some of the information sent was not valid."),
    500: ErrorPage(
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you sent has been lost or half-saved.",
    ),
}


def error_page(request: Request, status_code: int, message: str | None = None) -> Response:
    page = ERROR_PAGES.get(status_code, ERROR_PAGES[500 if status_code >= 500 else 400])
    return pages_of(request).render(
        request,
        "errors/error.html",
        {"title": page.title, "message": message or page.message, "status_code": status_code},
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
    return error_page(request, 422)


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CodeserviceError)
    status = status_for(exc)
    if status >= 500:
        # Its message is written for an operator (it may name files or settings).
        path = redact_path(request.url.path)
        error_log.error("%s on %s %s: %s", type(exc).__name__, request.method, path, exc)
        return error_page(request, status)
    return error_page(request, status, str(exc))


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(CodeserviceError, _service_error)
