"""GET /metrics in the Prometheus text format, for allowed addresses or a bearer token.

The answer joins the events counted in this process (or, with
``PROMETHEUS_MULTIPROC_DIR`` set, in every process sharing that folder — several web
workers behind one port, say) with the state read from the database at scrape time.
``metrics_app`` serves the same on a port of its own, for the worker and scheduler
processes, which have no web app.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Callable, Iterable, Iterator
from typing import cast

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from codeservice.bootstrap import Container
from codeservice.config import Settings
from codeservice.services.metrics_state import ServiceStateCollector

router = APIRouter()
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class Exposition(Collector):
    """What one scrape shows: this process' (or all processes') counts, plus ``state``."""

    def __init__(self, state: Iterable[Collector] = ()) -> None:
        self.state = list(state)

    def add(self, collector: Collector) -> None:
        self.state.append(collector)

    def collect(self) -> Iterator[Metric]:
        if os.environ.get(MULTIPROCESS_DIR):
            yield from _multiprocess_collector().collect()
        else:
            yield from REGISTRY.collect()
        for collector in self.state:
            yield from collector.collect()

    def render(self) -> bytes:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self)
        return generate_latest(registry)


def _multiprocess_collector() -> Collector:
    """The counts every process wrote to ``PROMETHEUS_MULTIPROC_DIR``, added up."""
    make = cast(Callable[[CollectorRegistry | None], Collector], MultiProcessCollector)
    return make(None)


def allowed(settings: Settings, client: str | None, authorization: str | None) -> bool:
    """From an address in ``metrics_allow``, or with ``Bearer <metrics_token>``."""
    if settings.metrics_token and authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), settings.metrics_token.encode()
        ):
            return True
    if client is None:
        return False
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in settings.metrics_allow)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    container: Container = request.app.state.container
    client = request.client.host if request.client else None
    if not allowed(container.settings, client, request.headers.get("authorization")):
        return PlainTextResponse(
            "Forbidden: metrics are for the addresses in CODESERVICE_METRICS_ALLOW, or "
            "with the bearer token CODESERVICE_METRICS_TOKEN\n",
            status_code=403,
            headers={"Cache-Control": "no-store"},
        )
    exposition: Exposition = request.app.state.metrics
    return Response(
        exposition.render(),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )


def default_exposition(container: Container) -> Exposition:
    settings = container.settings
    state = ServiceStateCollector(
        read_uow=container.read_uow,
        clock=container.now,
        calendar=container.calendar,
        tz=settings.tz,
        exposure_limit=settings.exposure_limit,
    )
    return Exposition([state])


def metrics_app(container: Container, exposition: Exposition) -> FastAPI:
    """Only /metrics: for a process without the web app (``--metrics-port``)."""
    from codeservice.web.access_log import RequestLog

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.container = container
    app.state.metrics = exposition
    app.include_router(router)
    app.add_middleware(RequestLog, error_page=_plain_server_error)
    return app


def _plain_server_error(request: Request) -> Response:
    return PlainTextResponse("Sorry, there is a problem with the service.", 500)
