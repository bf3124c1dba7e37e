"""The web app factory. Nothing is built at import time."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from codeservice.bootstrap import Container
from codeservice.web.access_log import RequestLog
from codeservice.web.api_errors import api_error, is_api_path
from codeservice.web.assets import (
    ASSET_PATH,
    STATIC_PATH,
    govuk_assets,
    own_static,
)
from codeservice.web.auth import install_auth
from codeservice.web.backpressure import PASS_BY, Backpressure
from codeservice.web.csrf import Csrf
from codeservice.web.dependencies import LoopTurns, worker_threads
from codeservice.web.errors import error_page, install_error_pages, server_error_page
from codeservice.web.head import HeadAsGet
from codeservice.web.headers import SecurityHeaders
from codeservice.web.limits import BodyLimit, RequestTooLarge, UnusablePath
from codeservice.web.metrics import default_exposition
from codeservice.web.metrics import router as metrics_router
from codeservice.web.pending_sign_in import PendingCookies
from codeservice.web.routes.distribution import (
    acknowledgement,
    api_v1,
    dashboard,
    new_spocs,
    notices,
    register_provider,
    register_upload,
    resends,
    rotation_run,
)
from codeservice.web.routes.distribution.register_upload import REGISTER_UPLOAD, UPLOAD_FORM_ROOM
from codeservice.web.routes.helpline import api as helpline_api
from codeservice.web.routes.helpline import console as helpline
from codeservice.web.routes.helpline import export as helpline_export
from codeservice.web.routes.helpline import security as helpline_security
from codeservice.web.routes.incidents import entered as incident_entered
from codeservice.web.routes.incidents import report as incident_report
from codeservice.web.routes.incidents import triage as incident_triage
from codeservice.web.routes.operations import health, readiness
from codeservice.web.routes.staff import (
    admin,
    admin_account,
    own_account,
    own_factors,
    second_step,
    security_keys,
    set_password,
    sign_in,
    staff,
    whoami,
)
from codeservice.web.secrets import web_secret
from codeservice.web.templating import Pages, make_environment

OVERLOADED = "the service is busy and did nothing: send the request again after Retry-After seconds"


def create_app(container: Container, *, govuk_frontend: Path | None = None) -> FastAPI:
    """Build the app on ``container``; raises ``ConfigurationError`` if assets are missing."""
    settings = container.settings
    assets = govuk_assets(govuk_frontend)
    secret = web_secret(settings)
    csrf = Csrf(secret, base_url=settings.base_url)
    https = settings.base_url.startswith("https://")

    app = FastAPI(
        title="Provider Direct access codes",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.container = container
    app.state.csrf = csrf
    app.state.pages = Pages(make_environment(), csrf)
    app.state.workers = worker_threads(settings.web_max_in_flight)
    app.state.loop_turns = LoopTurns()
    app.state.metrics = default_exposition(container)  # the CLI adds the scheduler's

    app.mount(ASSET_PATH, assets, name="assets")
    app.mount(STATIC_PATH, own_static(), name="static")
    app.include_router(health.router)
    # Matched in the order included, each route tried in turn (~10 µs each): the
    # helpline's machine API, the busiest path after /healthz, is tried before the pages.
    app.include_router(helpline_api.router)
    app.include_router(readiness.router)
    app.include_router(metrics_router)
    app.include_router(acknowledgement.router)
    app.include_router(incident_report.router)
    app.include_router(incident_entered.router)  # before triage's /{reference}
    app.include_router(incident_triage.router)
    app.include_router(sign_in.router)
    app.include_router(second_step.router)
    app.include_router(own_factors.router)
    app.include_router(security_keys.router)
    app.include_router(staff.router)
    app.include_router(admin.router)
    app.include_router(admin_account.router)
    app.include_router(own_account.router)
    app.include_router(set_password.router)
    app.include_router(whoami.router)
    app.include_router(register_upload.router)
    app.include_router(register_provider.router)  # after the upload: /{ref} takes any
    app.include_router(dashboard.router)
    app.include_router(resends.router)
    app.include_router(rotation_run.router)
    app.include_router(helpline_export.router)
    app.include_router(new_spocs.router)
    app.include_router(notices.router)
    api_v1.install(app)
    app.include_router(helpline.router)
    app.include_router(helpline_security.router)
    install_error_pages(app)
    install_auth(app, secret, https=https)
    app.state.pending_cookies = PendingCookies(secret, https=https)

    # Added innermost first: HeadAsGet answers HEAD as GET (the log still says HEAD);
    # BodyLimit refuses an over-long body before any route reads it; Backpressure sheds
    # what is over the in-flight bound before any of that work; RequestLog sees the
    # final status (the 503s too) and catches any error, and SecurityHeaders wraps
    # everything, the 500 page included.
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_request_kib * 1024,
        too_large=_too_large_page,
        larger={REGISTER_UPLOAD: settings.register_max_bytes + UPLOAD_FORM_ROOM},
    )
    app.add_middleware(UnusablePath, not_found=_not_found_page)
    app.add_middleware(
        Backpressure,
        max_in_flight=settings.web_max_in_flight,
        queue_wait_ms=settings.web_queue_wait_ms,
        retry_after_seconds=settings.web_retry_after_seconds,
        overloaded=_overloaded_page,
        pass_by=_passes_by,
        finishes=_finishes,
        finish_wait_ms=settings.web_finish_wait_ms,
    )
    app.add_middleware(RequestLog, error_page=server_error_page)
    app.add_middleware(SecurityHeaders, https=https)
    return app


def freeze_start_up() -> None:
    """Once the app is built and the process is about to serve: move every object made so
    far (the modules, the app, its routes, the container) out of the garbage collector's
    reach. They live as long as the process, yet each full collection walked them all
    again (about 195,000: 125 ms at load 5, every request paused). Not in
    ``create_app``: a process that builds many apps (the tests) would keep the cyclic
    garbage of those it dropped."""
    gc.collect()
    gc.freeze()


def _not_found_page(request: Request) -> Response:
    if is_api_path(request.url.path):  # as for any other path parameter it cannot read
        return error_page(request, 422, "the address holds a character that cannot be read")
    return error_page(request, 404)


def _overloaded_page(request: Request, retry_after: int) -> Response:
    """The gate's 503. The GOV.UK page is the same for every request (no form, no
    cookie), so it is rendered once and kept: a refusal must cost next to nothing, and
    a render takes about a millisecond of CPU (the JSON error 0.03 ms)."""
    headers = {"Retry-After": str(retry_after)}
    if is_api_path(request.url.path):
        return api_error("overloaded", OVERLOADED, 503, headers)
    state = request.app.state
    if hasattr(state, "overloaded_page"):
        return HTMLResponse(state.overloaded_page, 503, headers)
    response = error_page(request, 503)
    if "set-cookie" not in response.headers:  # were it ever to carry a form, never keep it
        state.overloaded_page = response.body
    response.headers.update(headers)
    return response


def _passes_by(path: str) -> bool:
    """Health, readiness, metrics and static files are never held back."""
    return path in PASS_BY or path.startswith((ASSET_PATH + "/", STATIC_PATH + "/"))


def _finishes(method: str, path: str) -> bool:
    """An answer to a helpline challenge: it completes a check the service began."""
    return (
        method == "POST"
        and path.endswith("/answer")
        and path.startswith(helpline_api.CHALLENGES + "/")
    )


def _too_large_page(request: Request, exc: RequestTooLarge) -> Response:
    return error_page(request, 413, str(exc), title=exc.title)
