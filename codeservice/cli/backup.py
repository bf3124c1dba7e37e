"""``codeservice backup`` and ``codeservice restore``: the restore drill."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from codeservice.cli.common import cli_actor, container, stdout
from codeservice.domain.text import printable


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)


def backup(
    destination: Annotated[
        Path, typer.Argument(help="A new (or empty) folder for the backup.", show_default=False)
    ],
) -> None:
    """Copy the database consistently (safe while the service runs), with the audit
    anchor, and name the keyring that must be kept with it."""
    from codeservice.services.operations.backup import backup as make_backup

    app_ = container()
    report = make_backup(app_.installation, destination, now=app_.now())
    manifest = report.manifest
    files = [manifest.file, *([manifest.audit_anchor] if manifest.audit_anchor else [])]
    say(f"backed up the {manifest.database} database to {report.folder}")
    say(f"  {', '.join(files)} and backup.json (schema {manifest.schema_revision})")
    say(
        f"the keyring that must go with it: {manifest.keyring_id} "
        f"(keys {', '.join(manifest.key_ids_needed) or 'none yet'}), now at {report.keyring_file}"
    )
    say(
        "keep a copy of that keyring apart from the backups: the backup cannot be read "
        "without it, and anyone holding both can read every code"
    )


def restore(
    source: Annotated[Path, typer.Argument(help="A folder made by `codeservice backup`.")],
) -> None:
    """Restore a backup into this home's new, empty database. The backup's keyring must
    already be in place; a database that is not empty is never overwritten."""
    from codeservice.services.operations.backup import restore as put_back

    app_ = container(initialising=True)
    report = put_back(app_.installation, source, actor=cli_actor(), origin="cli", now=app_.now())
    manifest = report.manifest
    say(f"restored the backup of {manifest.created_at} into {report.database}")
    say(f"keyring {manifest.keyring_id}: matches the backup")
    if report.anchor_placed:
        say("audit anchor: put in place from the backup")
    if report.needs_migration:
        say("the backup is of an older schema: run `codeservice init` to bring it up to date")
    say("now check it: `codeservice audit verify` and `codeservice status`")


def say(line: str) -> None:
    # The folders named are the operator's paths: shown printable, as errors are.
    stdout.print(printable(line), highlight=False, markup=False)
