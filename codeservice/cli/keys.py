"""`codeservice keys ...`: rotate the sealing key, show which keys the data needs."""

from __future__ import annotations

from types import TracebackType
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from codeservice.cli.common import (
    MOST_ROWS,
    cli_actor,
    console_error,
    container,
    print_json,
    stderr,
    stdout,
)
from codeservice.domain.wording import plural

app = typer.Typer(
    no_args_is_help=True,
    help="The keys that seal access codes, unlock codes and messages at rest.",
)


class _Bar:
    """A rich progress bar per kind of sealed value, on stderr."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("re-sealing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=stderr,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> _Bar:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, label: str, total: int) -> None:
        self._task = self._progress.add_task(label, total=total)

    def advance(self, count: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, count)


@app.command("rotate")
def rotate(
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Add no new key; finish re-sealing under the current one (after an interruption).",
        ),
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size", min=1, max=MOST_ROWS, help="Values re-sealed per transaction."
        ),
    ] = 200,
) -> None:
    """Make a new current key and re-seal every stored secret under it.

    Old keys stay in the keyring file, so an interrupted rotation loses nothing; run it
    again (or with --resume) to finish.
    """
    from codeservice.services.operations.keys import rotate_keys

    app_ = container()
    now = app_.now()
    with _Bar() as bar:
        report = rotate_keys(
            app_.uow,
            app_.keyring,
            actor=cli_actor(),
            source="cli",
            now=now,
            resume=resume,
            batch_size=batch_size,
            progress=bar,
        )
    if resume:
        stdout.print(f"Re-sealing finished under key {report.key_id}.", highlight=False)
    else:
        stdout.print(
            f"New current key {report.key_id} (was {report.previous_key_id}).", highlight=False
        )
    stdout.print(
        f"  re-sealed {plural(report.access_codes, 'access code')} and "
        f"{plural(report.messages, 'message')}",
        highlight=False,
    )


@app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The current key, the keys in the keyring file, and how many values each one seals."""
    from codeservice.services.operations.keys import key_status

    app_ = container()
    report = key_status(app_.read_uow, app_.keyring)
    if as_json:
        print_json(
            {
                "current_key_id": report.current_key_id,
                "key_ids": report.key_ids,
                "access_codes_by_key": report.access_codes_by_key,
                "messages_by_key": report.messages_by_key,
                "missing_key_ids": report.missing_key_ids,
                "sealed_under_older_keys": report.under_older_keys,
            }
        )
    else:
        table = Table(title=f"Keyring: {plural(len(report.key_ids), 'key')}")
        table.add_column("key id")
        table.add_column("current")
        table.add_column("access codes", justify="right")
        table.add_column("messages", justify="right")
        missing = report.missing_key_ids
        for key_id in [*report.key_ids, *missing]:
            table.add_row(
                key_id + (" (missing from the keyring!)" if key_id in missing else ""),
                "yes" if key_id == report.current_key_id else "",
                str(report.access_codes_by_key.get(key_id, 0)),
                str(report.messages_by_key.get(key_id, 0)),
            )
        stdout.print(table)
        if report.under_older_keys:
            stdout.print(
                f"{plural(report.under_older_keys, 'value')} still sealed under older keys: a "
                "rotation did not finish; run `codeservice keys rotate --resume`.",
                highlight=False,
            )
    if report.missing_key_ids:
        console_error(
            "some stored values need keys that are not in the keyring file; restore the "
            "keyring from backup or they cannot be read"
        )
        raise typer.Exit(1)
