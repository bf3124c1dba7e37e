"""``codeservice helpline ...``: the security team's side of the helpline check, for
when the web page is out of reach (the same use cases as `/security/helpline`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from codeservice.cli.common import cli_actor, container, print_json, stdout

app = typer.Typer(
    no_args_is_help=True,
    help="Prime providers whose helpline verification is locked today, and lifting a lock.",
)


@app.command("locks")
def locks(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The prime providers locked today after repeated failed checks."""
    from codeservice.services.helpline.locks import verification_locks

    built = container()
    tz = built.helpdesk.tz
    with built.read_uow() as uow:
        views = verification_locks(uow, tz, now=built.now())
    if as_json:
        print_json(
            [
                {
                    "provider_ref": view.provider_ref,
                    "provider_name": view.provider_name,
                    "day": view.day.isoformat(),
                    "fails": view.fails,
                    "locked_at": view.locked_at.isoformat(),
                }
                for view in views
            ]
        )
        return
    if not views:
        stdout.print("No prime provider's verification is locked today.", highlight=False)
        return
    table = Table()
    for column in ("Prime provider", "Locked", "Failed checks"):
        table.add_column(column)
    for view in views:
        table.add_row(
            Text(f"{view.provider_name} ({view.provider_ref})"),
            f"{view.locked_at.astimezone(tz):%H:%M}",
            str(view.fails),
        )
    stdout.print(table)


@app.command("unlock")
def unlock(
    provider: Annotated[
        str, typer.Argument(help="The prime provider's ref (or a subcontractor's).")
    ],
) -> None:
    """Let agents check the provider's callers again today (audited under your name)."""
    from codeservice.domain.challenges import NotLocked
    from codeservice.services.helpline.locks import unlock_verification, unlocked_today

    built = container()
    now = built.now()
    try:
        with built.uow() as uow:
            unlock_verification(
                uow, built.helpdesk, provider, actor=cli_actor(), now=now, source="cli"
            )
    except NotLocked:
        # Unlocked already today (a colleague, the web page): what was asked is done.
        with built.read_uow() as uow:
            if not unlocked_today(uow, built.helpdesk, provider, now=now):
                raise
        stdout.print(
            f"Verification for {provider.strip()} was already unlocked today.", highlight=False
        )
        return
    stdout.print(
        f"Verification for {provider.strip()} is unlocked: agents can check its callers "
        "again today.",
        highlight=False,
    )
