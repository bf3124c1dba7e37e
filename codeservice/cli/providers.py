"""`codeservice providers ...`: import the register from CSV, list it, find a provider."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from codeservice.cli.common import container, print_json, stdout
from codeservice.services.register import ProviderView

app = typer.Typer(
    no_args_is_help=True,
    help="The register of prime providers, their SPoCs and their subcontractors.",
)


def _os_user() -> str:
    try:
        return getpass.getuser() or "cli"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV: ref,name,prime_ref,spoc_name,spoc_email")],
    prune: Annotated[
        bool, typer.Option("--prune", help="Deactivate providers and SPoCs not in the file.")
    ] = False,
) -> None:
    """Check the whole CSV and apply it in one go; with any problem nothing changes."""
    from codeservice.services.register import import_register_file

    summary = import_register_file(container(), file, prune=prune, actor=_os_user())
    stdout.print(f"Imported {summary.filename} (sha256 {summary.sha256[:12]})", highlight=False)
    stdout.print(
        f"  providers: {summary.providers_added} added, {summary.providers_updated} updated, "
        f"{summary.providers_unchanged} unchanged, {summary.providers_deactivated} deactivated",
        highlight=False,
    )
    stdout.print(
        f"  SPoCs:     {summary.spocs_added} added, {summary.spocs_updated} updated, "
        f"{summary.spocs_unchanged} unchanged, {summary.spocs_deactivated} deactivated",
        highlight=False,
    )
    if summary.providers_not_in_file:
        stdout.print(
            f"  {summary.providers_not_in_file} active provider(s) are not in the file and were "
            "left as they are (--prune deactivates them)",
            highlight=False,
        )


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    include_inactive: Annotated[
        bool, typer.Option("--all", help="Include deactivated providers and SPoCs.")
    ] = False,
) -> None:
    """Prime providers with their SPoCs and subcontractors (active ones unless --all)."""
    from codeservice.services.register import list_register

    views = list_register(container(), include_inactive=include_inactive)
    _show(views, as_json=as_json, include_inactive=include_inactive)


@app.command("find")
def find(
    query: Annotated[str, typer.Argument(help="A ref, or part of a name (any case).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    include_inactive: Annotated[
        bool, typer.Option("--all", help="Include deactivated providers and SPoCs.")
    ] = False,
) -> None:
    """Find providers by ref or name."""
    from codeservice.services.register import find_provider

    views = find_provider(container(), query, include_inactive=include_inactive)
    _show(views, as_json=as_json, include_inactive=include_inactive)


def _show(views: list[ProviderView], *, as_json: bool, include_inactive: bool) -> None:
    if as_json:
        print_json([view.as_dict() for view in views])
        return
    if not views:
        stdout.print("No providers.", highlight=False)
        return
    table = Table(show_lines=False)
    table.add_column("Ref", no_wrap=True)
    table.add_column("Name")
    table.add_column("SPoCs")
    table.add_column("Subcontractors")
    if include_inactive:
        table.add_column("Active")
    group = None  # the prime whose subcontractors follow it
    for view in views:
        spocs = "\n".join(
            f"{spoc.name} <{spoc.email}>" + ("" if spoc.active else " (inactive)")
            for spoc in view.spocs
        )
        ref, name = view.ref, view.name
        if view.is_prime:
            group = view.ref
        else:
            ref = f"  └ {view.ref}"
            if view.prime_ref != group:  # its prime is not listed just above
                name = f"{view.name} (subcontractor of {view.prime_ref})"
        row = [ref, name, spocs, ", ".join(view.subcontractors)]
        if include_inactive:
            row.append("yes" if view.active else "no")
        table.add_row(*(Text(cell) for cell in row))  # Text: names are not rich markup
    stdout.print(table)
