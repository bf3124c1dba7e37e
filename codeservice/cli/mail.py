"""`codeservice mail ...`: send the outbox, capture mail in development, inspect, retry."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from codeservice.cli.common import MOST_ID, MOST_ROWS, container, print_json, stdout
from codeservice.errors import ConfigurationError, Conflict, InputError, NotFound

# Piped output is not wrapped at 80 columns, so each message stays on one line for grep.
_PIPED_WIDTH = 240


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while start-up loads what lives as long as the
    process; then that is frozen out of the collector's reach (``gc.freeze``)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


app = typer.Typer(
    no_args_is_help=True,
    help="The mail outbox: send it, capture mail locally, list and retry messages.",
)


@app.command("send")
def send(
    once: Annotated[
        bool,
        typer.Option("--once", help="Send what is due now, then stop (no waiting for retries)."),
    ] = False,
) -> None:
    """Send queued messages over SMTP; without --once, keep going until SIGTERM or Ctrl-C."""
    # What start-up loads lives as long as the process: loaded with the garbage collector
    # paused, then frozen out of its reach, so no collection walks it again, nor does the
    # one at exit (~0.1 s of CPU, a fifth of an empty --once).
    with _collector_paused():
        from codeservice.services.distribution.mail_events import audit_mail_outcomes
        from mailer import dispatcher
        from mailer.smtp import SmtpConfigurationError

        app_ = container()
        config = app_.smtp_config
        sealer = app_.mail_sealer
    # This process serves no /metrics: its SMTP answers can be read only where every
    # process writes its counts to PROMETHEUS_MULTIPROC_DIR (docs/operations.md). Without
    # it they would go nowhere, and loading prometheus-client for them cost ~20 ms.
    counted = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

    async def main() -> dispatcher.DispatchSummary:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        return await dispatcher.run(
            app_.session_factory,
            config,
            sealer,
            once=once,
            stop=stop,
            clock=app_.now,
            on_outcomes=audit_mail_outcomes(app_.keyring),
            reader=app_.read_session_factory,
            counted=counted,
        )

    try:
        summary = asyncio.run(main())
    except SmtpConfigurationError as exc:
        raise ConfigurationError(f"{exc}; check the CODESERVICE_SMTP_* settings") from None
    finally:
        app_.close()
    table = Table(title="Mail sent", show_header=False)
    table.add_row("sent", str(summary.sent))
    table.add_row("to retry later", str(summary.retrying))
    table.add_row("failed (see `codeservice mail list --state failed`)", str(summary.failed))
    if summary.released:
        table.add_row("handed back unsent at shutdown", str(summary.released))
    if summary.lost_claims:
        table.add_row("taken over by another worker", str(summary.lost_claims))
    if summary.withdrawn:
        table.add_row(
            "withdrawn before sending (cancelled, or claimed elsewhere)", str(summary.withdrawn)
        )
    stdout.print(table)


@app.command("capture")
def capture(
    port: Annotated[int, typer.Option("--port", min=0, max=65535)] = 8025,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
) -> None:
    """Run a local SMTP server that keeps every message in a Maildir (development)."""
    from mailer.capture import run_capture

    maildir = container().settings.mail_dir

    def ready(bound_host: str, bound_port: int) -> None:
        # Plain and flushed: one unwrapped line a script can wait for.
        sys.stdout.write(
            f"Capturing mail on {bound_host}:{bound_port} into {maildir.resolve()} "
            "(Ctrl-C to stop)\n"
        )
        sys.stdout.flush()

    try:
        run_capture(maildir, host, port, on_ready=ready)
    except OSError as exc:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _shown(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}"


@app.command("list")
def list_messages(
    state: Annotated[
        str | None,
        typer.Option("--state", help="Only messages in this state: queued, sending, sent, failed."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=MOST_ROWS, help="The newest N messages.")
    ] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Messages in the outbox (never their bodies)."""
    from mailer import outbox
    from mailer.schema import STATES

    if state is not None and state not in STATES:
        raise InputError(f"--state: expected one of {', '.join(STATES)}, got {state!r}")
    app_ = container()
    with app_.read_uow() as uow:
        found = outbox.entries(uow.session, state=state, limit=limit)
    if as_json:
        print_json(
            [
                {
                    "id": e.id,
                    "category": e.category,
                    "recipients": list(e.recipients),
                    "state": e.state,
                    "attempts": e.attempts,
                    "due_at": e.due_at.isoformat(),
                    "sent_at": e.sent_at.isoformat() if e.sent_at else None,
                    "message_id": e.message_id,
                    "last_error": e.last_error,
                }
                for e in found
            ]
        )
        return
    tz = app_.settings.tz
    table = Table(caption=f"Times are {tz.key}.")
    for column in ("Id", "Category", "Recipient", "State", "Tries", "Due", "Sent", "Message-ID"):
        table.add_column(column, no_wrap=column != "Recipient")
    table.add_column("Last error", overflow="fold")
    for e in found:
        table.add_row(
            str(e.id),
            e.category,
            ", ".join(e.recipients),
            e.state,
            str(e.attempts),
            _shown(e.due_at.astimezone(tz)) if e.state == "queued" else "",
            _shown(e.sent_at.astimezone(tz) if e.sent_at else None),
            e.message_id or "",
            e.last_error or "",
        )
    console = stdout if stdout.is_terminal else Console(width=_PIPED_WIDTH)
    console.print(table)


@app.command("retry")
def retry(
    ids: Annotated[
        list[int], typer.Argument(min=1, max=MOST_ID, help="Outbox ids of failed messages.")
    ],
) -> None:
    """Queue messages that failed for good once more (e.g. after fixing an address)."""
    from mailer import outbox

    app_ = container()
    with app_.uow() as uow:
        known = {e.id: e for e in outbox.by_ids(uow.session, ids)}
        missing = sorted(set(ids) - set(known))
        if missing:
            raise NotFound(f"no outbox message with id {', '.join(map(str, missing))}")
        not_failed = sorted(i for i, e in known.items() if e.state != "failed")
        if not_failed:
            raise Conflict(
                f"only failed messages can be retried; not failed: "
                f"{', '.join(map(str, not_failed))} (nothing was changed)"
            )
        requeued = outbox.retry_failed(uow.session, ids, app_.now())
        uow.commit()
    stdout.print(f"Queued again: {', '.join(map(str, requeued))}", markup=False)
