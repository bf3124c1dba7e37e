"""``codeservice init``: create the database and the keys; safe to run again."""

from __future__ import annotations

import typer

from codeservice.cli.common import container, stdout
from codeservice.domain.text import printable


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init() -> None:
    """Create the data folder, the keys and the database schema. Changes nothing when run again."""
    from codeservice.services.operations.setup import initialise

    report = initialise(container(initialising=True).installation)
    for line in report:  # the lines name the home's folders: shown printably, as written
        stdout.print(printable(line), highlight=False, markup=False)
