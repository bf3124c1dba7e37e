"""``codeservice codes export CYCLE``: the monthly access code list for the helpline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from codeservice.cli.common import container, os_user, stdout
from codeservice.domain.wording import plural
from codeservice.errors import InputError

app = typer.Typer(no_args_is_help=True, help="Access codes: the list for the helpline.")


@app.command("export")
def export(
    cycle: Annotated[str, typer.Argument(help="The cycle, e.g. 2027-04.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where to write the Word document (default: the standard name here)."
        ),
    ] = None,
) -> None:
    """Write the cycle's codes into a password-protected Word document for the helpline.

    The unlock code is printed once, here; it is kept nowhere. Send it to the helpline
    separately from the file. The export is audited.
    """
    from codeservice.documents.code_list import code_list_filename
    from codeservice.domain.calendar import Cycle
    from codeservice.services.helpline.export import export_code_list

    target = Cycle.parse(cycle)
    path = out or Path(code_list_filename(str(target)))
    if path.exists():
        raise InputError(f"{path} already exists; remove it or choose another --out")
    if not path.parent.is_dir():
        raise InputError(f"the folder {path.parent} does not exist")
    user = os_user()
    services = container()
    result = export_code_list(
        services.uow,
        services.keyring,
        services.calendar,
        target,
        actor=f"cli:{user}",
        exported_by=user,
        source="cli",
        now=services.now(),
    )
    _write_private(path, result.document)
    try:
        stdout.print(
            f"Wrote {path}: {plural(result.codes, 'access code')} for cycle {result.cycle}, "
            "password protected (only you can read the file).",
            highlight=False,
        )
        stdout.print(f"Unlock code (shown once): {result.unlock_code}", highlight=False)
        stdout.print(
            "Give the unlock code to the helpline separately from the file, by phone.",
            highlight=False,
        )
        stdout.file.flush()
    except OSError:
        # Without its unlock code the file opens for no one, and it would only stand in
        # the way of the rerun: it goes (the export stays audited, as it was made).
        path.unlink(missing_ok=True)
        raise


def _write_private(path: Path, data: bytes) -> None:
    """Create the file readable by its owner only; never overwrite one."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{path} already exists; remove it or choose another --out") from None
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
