"""``codeservice tokens ...``: API tokens for machines (the helpline's telephony or CRM)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from codeservice.cli.common import (
    audited,
    cli_actor,
    container,
    print_json,
    stderr,
    stdout,
)
from codeservice.domain.accounts import Role

app = typer.Typer(
    no_args_is_help=True,
    help="API tokens for machines, sent as 'Authorization: Bearer <token>'.",
)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What uses it, e.g. helpline-crm.")],
    role: Annotated[Role, typer.Option("--role", help="What the token may do.")],
) -> None:
    """Make a token and print it once: only its hash is kept."""
    from codeservice.services.staff.api_tokens import create_token

    built = container()
    now = built.now()
    with built.transaction() as uow:
        created = create_token(uow, built.keyring, name, role=role, actor=cli_actor(), now=now)
        # Shown before the commit: when it cannot be (a full disk, a closed pipe), the
        # token is not made — one that no one has seen could only wait to be revoked.
        sys.stdout.write(created.token + "\n")  # alone on stdout, so a script can capture it
        sys.stdout.flush()
    stderr.print(
        f"Created API token {created.view.name} ({created.view.role}). Copy it now: "
        "it cannot be shown again.",
        highlight=False,
    )


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
) -> None:
    """Live tokens (all with --all): name, role, prefix, when made and last used."""
    from codeservice.services.staff.api_tokens import list_tokens

    built = container()
    with built.read_uow() as uow:
        views = list_tokens(uow, include_revoked=include_revoked)
    if as_json:
        print_json([view.as_dict() for view in views])
        return
    if not views:
        stdout.print("No API tokens.", highlight=False)
        return
    tz = built.settings.tz
    table = Table()
    for column in ("Name", "Role", "Token", "Created", "Last used", "Revoked"):
        table.add_column(column)
    for view in views:
        table.add_row(
            Text(view.name),
            view.role,
            view.shown,
            f"{view.created_at.astimezone(tz):%Y-%m-%d %H:%M} by {view.created_by}",
            f"{view.last_used_at.astimezone(tz):%Y-%m-%d %H:%M}" if view.last_used_at else "never",
            f"{view.revoked_at.astimezone(tz):%Y-%m-%d %H:%M}" if view.revoked_at else "",
        )
    stdout.print(table)


@app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Stop a token working at once."""
    from codeservice.services.staff.api_tokens import revoke_token

    audited(revoke_token, name)
    stdout.print(f"Revoked the API token {name.strip().lower()}.", highlight=False)
