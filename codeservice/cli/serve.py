"""``codeservice serve``, ``worker`` and ``scheduler``: the long-running processes.

``serve`` runs the web app, the scheduler and the mail worker in one process (the
embedded default). Several processes may share one PostgreSQL database: only the one
holding the scheduler lease runs scheduled jobs, and mail workers split the outbox by
claiming messages. On PostgreSQL, ``worker`` and ``serve`` processes also join the
rotation the scheduler's issue job has under way (``scheduler.joining``): each claims
providers until none is left. SIGTERM (or Ctrl-C) stops each part cleanly: the web server stops
accepting and finishes its requests, the mail worker finishes the messages in hand
and hands the rest back, the scheduler finishes the job in progress and releases its
lease; then the process exits 0.

``worker`` and ``scheduler`` have no web app: ``--metrics-port`` serves GET /metrics on
a port of their own (the same access rules as the web app's).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from codeservice.bootstrap import Container, configure_logging
from codeservice.cli.common import MOST_WORKERS, service_clock
from codeservice.cli.mail_worker import mail_worker
from codeservice.config import load_settings
from codeservice.errors import CodeserviceError, ConfigurationError

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger("codeservice.serve")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("scheduler")(scheduler)


def service_container() -> Container:
    """The container for a long-running process."""
    settings = load_settings()
    configure_logging(settings)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return Container(settings, clock=service_clock(), check_schema=True)


# --- commands -------------------------------------------------------------------------

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")]
Forwarded = Annotated[
    str | None,
    typer.Option(
        help="Trust X-Forwarded-For/-Proto from these proxy addresses (comma-separated). "
        "Off by default: only set it behind a reverse proxy you run."
    ),
]


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    forwarded_allow_ips: Forwarded = None,
    with_scheduler: Annotated[
        bool,
        typer.Option("--scheduler/--no-scheduler", help="Take part in running scheduled jobs."),
    ] = True,
    with_worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Send the mail outbox.")
    ] = True,
) -> None:
    """Run the web app, the scheduler and the mail worker until SIGTERM or Ctrl-C."""
    web = WebOptions(host, port, forwarded_allow_ips)
    _run(Parts(web=web, mail=with_worker, schedule=with_scheduler))


MetricsPort = Annotated[
    int | None,
    typer.Option(
        min=0, max=65535, help="Serve GET /metrics (Prometheus) on this port; off by default."
    ),
]
MetricsHost = Annotated[str, typer.Option(help="Address for --metrics-port to listen on.")]


def worker(
    metrics_port: MetricsPort = None,
    metrics_host: MetricsHost = "127.0.0.1",
    workers: Annotated[
        int,
        typer.Option(
            min=0,
            max=MOST_WORKERS,
            help="Processes for document work when joining a rotation (0: one per core).",
        ),
    ] = 0,
) -> None:
    """Send the mail outbox, and on PostgreSQL join a rotation under way, until SIGTERM
    or Ctrl-C (alongside any number of others)."""
    metrics = None if metrics_port is None else WebOptions(metrics_host, metrics_port, None)
    _run(Parts(web=None, mail=True, schedule=False, metrics=metrics, rotation_workers=workers))


def scheduler(metrics_port: MetricsPort = None, metrics_host: MetricsHost = "127.0.0.1") -> None:
    """Run scheduled jobs when this process holds the scheduler lease, until SIGTERM."""
    metrics = None if metrics_port is None else WebOptions(metrics_host, metrics_port, None)
    _run(Parts(web=None, mail=False, schedule=True, metrics=metrics))


# --- the process ----------------------------------------------------------------------


@dataclass(frozen=True)
class WebOptions:
    host: str
    port: int
    forwarded_allow_ips: str | None


@dataclass(frozen=True)
class Parts:
    web: WebOptions | None
    mail: bool
    schedule: bool
    metrics: WebOptions | None = None  # /metrics alone, for a process without the web app
    rotation_workers: int = 0  # document processes when joining a rotation (0: per core)


def _run(parts: Parts) -> None:
    container = service_container()
    try:
        asyncio.run(run_process(container, parts))
    finally:
        container.close()


def _listen(options: WebOptions) -> socket.socket:
    try:
        sock = socket.create_server((options.host, options.port), reuse_port=False)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot listen on {options.host}:{options.port}: {exc.strerror}"
        ) from None
    sock.set_inheritable(True)
    return sock


async def run_process(container: Container, parts: Parts) -> None:

    # The mailer's counts are listed from the start (at 0 until a message goes), whatever
    # parts run: the dispatcher itself loads them only once it sends.
    import mailer.metrics  # noqa: F401
    from codeservice.web import create_app
    from codeservice.web.app import freeze_start_up
    from codeservice.web.metrics import default_exposition, metrics_app
    from mailer.dispatcher import default_worker_id
    from scheduler.joining import Joiner, can_join, join_rotations
    from scheduler.metrics import SchedulerCollector
    from scheduler.runner import SchedulerService

    # Built here, in one thread, before the parts' threads share them; a missing key
    # file or a bad SMTP setting stops the start with a message, not a failing loop.
    _ = container.session_factory, container.keyring
    if parts.mail:
        _ = container.smtp_config
    holder = default_worker_id()
    stop = asyncio.Event()
    service = SchedulerService(container, holder=holder) if parts.schedule else None
    mail_state = {"value": "off"}
    server: uvicorn.Server | None = None
    sock: socket.socket | None = None
    exposition = default_exposition(container)
    exposition.add(SchedulerCollector(container))
    if parts.web is None and parts.metrics is not None:
        sock = _listen(parts.metrics)
        server = _server(_uvicorn_config(metrics_app(container, exposition), None))
    if parts.web is not None:
        sock = _listen(parts.web)
        app = create_app(container)
        app.state.metrics = exposition
        app.state.scheduler_state = (lambda: service.state) if service else (lambda: "off")
        app.state.mail_worker_state = lambda: mail_state["value"]
        server = _server(_uvicorn_config(app, parts.web.forwarded_allow_ips))

    def shut_down() -> None:
        if not stop.is_set():
            log.info("stopping: finishing the work in hand")
        stop.set()
        if server is not None:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, shut_down)

    tasks: list[asyncio.Task[None]] = []
    if server is not None and sock is not None:
        tasks.append(asyncio.create_task(server.serve(sockets=[sock]), name="web"))
        host, port = sock.getsockname()[:2]
        if parts.web is not None:
            log.info("web app on http://%s:%s (/healthz, /readyz, /metrics)", host, port)
        else:
            log.info("metrics on http://%s:%s/metrics", host, port)
    if parts.mail:
        tasks.append(
            asyncio.create_task(mail_worker(container, holder, stop, mail_state), name="mail")
        )
    if parts.mail and await asyncio.to_thread(can_join, container):
        joiner = Joiner(container, holder=holder, workers=parts.rotation_workers or None)
        tasks.append(asyncio.create_task(join_rotations(joiner, stop), name="rotation"))
    if service is not None:
        service.start()
    if parts.web is not None:
        freeze_start_up()
    log.info("codeservice %s running", holder)

    waiting = asyncio.create_task(stop.wait())
    await asyncio.wait([waiting, *tasks], return_when=asyncio.FIRST_COMPLETED)
    ended = [t for t in tasks if t.done()] if not stop.is_set() else []
    shut_down()  # on a signal, or because one part ended by itself: stop the others too
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    if service is not None:
        await asyncio.to_thread(service.stop)
    if sock is not None:
        sock.close()
    log.info("codeservice %s stopped", holder)
    if ended:
        problems = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        raise CodeserviceError(
            f"the {ended[0].get_name()} part stopped by itself"
            + (f": {problems[0]}" if problems else "")
            + "; see the log above"
        )


def _uvicorn_config(app: Any, forwarded_allow_ips: str | None) -> uvicorn.Config:
    import uvicorn

    return uvicorn.Config(
        app,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        # Uvicorn's access log prints full paths, and link tokens are in paths:
        # the app logs requests itself with tokens redacted.
        access_log=False,
        log_config=None,
        server_header=False,
        lifespan="off",
    )


def _server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's server, with the signals left to this process (all parts stop together)."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server(config)
