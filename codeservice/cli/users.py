"""``codeservice users ...``: staff accounts for the web app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from codeservice.cli.common import audited, cli_actor, container, print_json, stdout
from codeservice.cli.passwords import read_password
from codeservice.domain.accounts import Role

app = typer.Typer(
    no_args_is_help=True,
    help=(
        "Staff accounts for the web app: add, list, roles, disable, reset passwords, unlock, "
        "reset second factors."
    ),
)

PasswordFile = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="Read the password from this file (its first line) instead of asking for it.",
        dir_okay=False,
    ),
]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The username, e.g. ann.lee.")],
    role: Annotated[Role, typer.Option("--role", help="What the account may do.")],
    password_file: PasswordFile = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="The person's name, shown in pages.")
    ] = None,
    email: Annotated[
        str | None,
        typer.Option("--email", help="Where set-password links go (an admin's reset)."),
    ] = None,
) -> None:
    """Add a staff account (at least 12 characters; common passwords are refused).

    Administrators add accounts in the browser too (/admin/accounts), where the person
    sets their own password from an emailed link; this command is for the first admin.
    """
    from codeservice.services.staff.accounts import add_user

    password = read_password(password_file)
    view = audited(
        add_user, name, role=role, password=password, display_name=display_name, email=email
    )
    stdout.print(f"Added staff account {view.name} ({view.role}).", highlight=False)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every staff account, with its role and state (never a password hash)."""
    from codeservice.services.staff.accounts import list_users

    built = container()
    with built.read_uow() as uow:
        views = list_users(uow)
    if as_json:
        print_json([view.as_dict() for view in views])
        return
    if not views:
        stdout.print("No staff accounts. Add one with: codeservice users add", highlight=False)
        return
    tz = built.settings.tz
    now = built.now()
    table = Table()
    for column in ("Username", "Name", "Role", "State", "Last signed in"):
        table.add_column(column)
    for view in views:
        if not view.active:
            state = "disabled"
        elif view.locked_until is not None and view.locked_until > now:
            state = f"locked until {view.locked_until.astimezone(tz):%Y-%m-%d %H:%M}"
        else:
            state = "active"
        last = view.last_sign_in_at
        table.add_row(
            Text(view.name),
            Text(view.display_name or ""),
            view.role,
            state,
            f"{last.astimezone(tz):%Y-%m-%d %H:%M}" if last else "never",
        )
    stdout.print(table)


@app.command("role")
def role(
    name: Annotated[str, typer.Argument(help="The username.")],
    new_role: Annotated[Role, typer.Option("--role", help="What the account may do.")],
) -> None:
    """Give an account another role; its sessions end. The last active admin keeps theirs."""
    from codeservice.services.staff.account_changes import change_role

    changed = audited(change_role, name, new_role)
    username = name.strip().lower()
    message = (
        f"{username} is now {new_role.value}."
        if changed
        else f"{username} was already {new_role.value}."
    )
    stdout.print(message, highlight=False)


@app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="The username.")]) -> None:
    """Stop an account signing in; its open sessions end at once (not the last active admin)."""
    from codeservice.services.staff.account_changes import disable_user

    audited(disable_user, name)
    stdout.print(f"Disabled {name.strip().lower()}; its sessions have ended.", highlight=False)


@app.command("enable")
def enable(name: Annotated[str, typer.Argument(help="The username.")]) -> None:
    """Let a disabled account sign in again."""
    from codeservice.services.staff.account_changes import enable_user

    audited(enable_user, name)
    stdout.print(f"Enabled {name.strip().lower()}.", highlight=False)


@app.command("reset-password")
def reset(
    name: Annotated[str, typer.Argument(help="The username.")],
    password_file: PasswordFile = None,
) -> None:
    """Set a new password; ends the account's sessions and clears a sign-in lock."""
    from codeservice.services.staff.account_changes import reset_password

    password = read_password(password_file)
    built = container()
    reset_password(built.uow, built.keyring, name, password, actor=cli_actor(), now=built.now())
    stdout.print(f"New password set for {name.strip().lower()}.", highlight=False)


@app.command("unlock")
def unlock(name: Annotated[str, typer.Argument(help="The username.")]) -> None:
    """Lift a lock put on after too many wrong passwords."""
    from codeservice.services.staff.account_changes import unlock_user

    was_locked = audited(unlock_user, name)
    username = name.strip().lower()
    message = f"Unlocked {username}." if was_locked else f"{username} was not locked."
    stdout.print(message, highlight=False)


@app.command("reset-second-factor")
def reset_second_factor(name: Annotated[str, typer.Argument(help="The username.")]) -> None:
    """Remove every second factor and recovery code of an account (when the only admin
    has lost theirs); its sessions end and it sets up a new one at its next sign-in.
    API tokens are not changed."""
    from codeservice.services.staff.second_factors import reset_second_factors

    removed = audited(reset_second_factors, name, source="cli")
    username = name.strip().lower()
    stdout.print(
        f"Removed {removed} second factor{'' if removed == 1 else 's'} and the recovery codes "
        f"of {username}; they set up a new one when they next sign in.",
        highlight=False,
    )
