"""``codeservice web``: run the web app (the SPoC acknowledgement pages)."""

from __future__ import annotations

from typing import Annotated

import typer

from codeservice.cli.common import container


def register(app: typer.Typer) -> None:
    app.command("web")(web)


def web(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Trust X-Forwarded-For/-Proto from these proxy addresses (comma-separated). "
            "Off by default: only set it behind a reverse proxy you run."
        ),
    ] = None,
) -> None:
    """Serve the web app until stopped (Ctrl+C or SIGTERM)."""
    import uvicorn

    from codeservice.web import create_app
    from scheduler.metrics import SchedulerCollector

    built = container()
    _ = built.engine  # refuse at once, not on the first request, before `codeservice init`
    app = create_app(built)
    app.state.metrics.add(SchedulerCollector(built))
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        # Uvicorn's access log prints full paths, and link tokens are in paths: the app
        # logs requests itself with tokens redacted (codeservice.web.access_log).
        access_log=False,
        # Keep the logging set up by the container instead of uvicorn's own.
        log_config=None,
        server_header=False,
    )
