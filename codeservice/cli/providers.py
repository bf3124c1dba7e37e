"""`codeservice providers ...`: import the register from CSV, list it, find a provider,
and send the codes in use to SPoCs added after they were issued."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from codeservice.cli.common import cli_actor, console_error, container, print_json, stdout
from codeservice.domain.text import printable
from codeservice.domain.wording import plural
from codeservice.services.register.providers import ProviderView

if TYPE_CHECKING:
    from datetime import datetime

    from codeservice.bootstrap import Container
    from codeservice.services.distribution.new_spocs import NewSpoc, NewSpocsReport

app = typer.Typer(
    no_args_is_help=True,
    help="The register of prime providers, their SPoCs and their subcontractors.",
)

IncludeInactive = Annotated[
    bool, typer.Option("--all", help="Include deactivated providers and SPoCs.")
]


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV: ref,name,prime_ref,spoc_name,spoc_email")],
    prune: Annotated[
        bool, typer.Option("--prune", help="Deactivate providers and SPoCs not in the file.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Check the file and count what it would change; change nothing."
        ),
    ] = False,
) -> None:
    """Check the whole CSV and apply it in one go; with any problem nothing changes."""
    from codeservice.services.register.providers import RegisterRules, import_register_file

    app_ = container()
    now = app_.now()
    with app_.uow() as uow:  # committed below, unless only checking
        summary = import_register_file(
            uow,
            app_.keyring,
            RegisterRules.of(app_.settings),
            file,
            prune=prune,
            actor=cli_actor(),
            now=now,
        )
        if not check:
            uow.commit()
    done = "Checked" if check else "Imported"
    # A file by its name; a pipe by its whole path, which its last part alone would hide
    # ("Imported 63" for the /dev/fd/63 of `providers import <(...)`).
    shown = summary.filename if file.is_file() else printable(str(file))
    stdout.print(
        f"{done} {shown} (sha256 {summary.sha256[:12]})",
        highlight=False,
        markup=False,
    )
    if check:
        stdout.print("  nothing was changed; imported, it would give:", highlight=False)
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
        absent = summary.providers_not_in_file
        stdout.print(
            f"  {plural(absent, 'active provider')} {'is' if absent == 1 else 'are'} not in "
            f"the file and {'was' if absent == 1 else 'were'} left as "
            f"{'it is' if absent == 1 else 'they are'} (--prune deactivates them)",
            highlight=False,
        )
    for warning in summary.warnings:
        console_error(warning, prefix="warning: ")
    if not check:
        _hint_new_spocs(app_, now)


def _hint_new_spocs(app_: Container, now: datetime) -> None:
    """After an import: one line if a SPoC has not had the codes already issued."""
    from codeservice.services.distribution.new_spocs import pending_new_spocs

    with app_.read_uow() as uow:
        spocs = len({waiting.spoc_id for waiting in pending_new_spocs(uow, now=now)})
    if spocs:
        stdout.print(
            f"{plural(spocs, 'SPoC')} {'has' if spocs == 1 else 'have'} not had the codes in "
            "use; send them with: "
            "codeservice providers new-spocs --send",
            highlight=False,
        )


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    include_inactive: IncludeInactive = False,
) -> None:
    """Prime providers with their SPoCs and subcontractors (active ones unless --all)."""
    from codeservice.services.register.providers import list_register

    with container().read_uow() as uow:
        views = list_register(uow, include_inactive=include_inactive)
    _show(views, as_json=as_json, include_inactive=include_inactive)


@app.command("find")
def find(
    query: Annotated[str, typer.Argument(help="A ref, or part of a name (any case).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    include_inactive: IncludeInactive = False,
) -> None:
    """Find providers by ref or name."""
    from codeservice.services.register.providers import find_provider

    with container().read_uow() as uow:
        views = find_provider(uow, query, include_inactive=include_inactive)
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
    table.add_column("Security plan")
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
        plan = view.plan_status if view.is_prime else f"prime's: {view.plan_status}"
        row = [ref, name, spocs, ", ".join(view.subcontractors), plan]
        if include_inactive:
            row.append("yes" if view.active else "no")
        table.add_row(*(Text(cell) for cell in row))  # Text: names are not rich markup
    stdout.print(table)


@app.command("new-spocs")
def new_spocs(
    cycle: Annotated[
        str | None, typer.Option("--cycle", help="Only this cycle's code, e.g. 2027-04.")
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Only this prime provider (its ref).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    send: Annotated[
        bool, typer.Option("--send", help="Send them email 1 (the document and their link).")
    ] = False,
) -> None:
    """SPoCs added after a code in use was issued, who have not had it; --send sends it.

    Each gets the same document the other SPoCs got (it opens with the same unlock
    code), their own acknowledgement link, and after acknowledging the unlock code.
    Running it again sends nothing twice.
    """
    from codeservice.services.distribution.new_spocs import pending_new_spocs, send_to_new_spocs

    app_ = container()
    if not send:
        with app_.read_uow() as uow:
            waiting = pending_new_spocs(uow, cycle=cycle, provider_ref=provider, now=app_.now())
        if as_json:
            print_json([spoc.as_dict() for spoc in waiting])
            return
        _show_new_spocs(waiting, cycle=cycle, provider=provider)
        return
    report = send_to_new_spocs(
        app_.read_uow,
        app_.uow,
        app_.mailroom,
        actor=cli_actor(),
        source="cli",
        cycle=cycle,
        provider_ref=provider,
        now=app_.now(),
    )
    if as_json:
        print_json(report.as_dict())
        return
    _show_sent(report)


def _show_new_spocs(waiting: list[NewSpoc], *, cycle: str | None, provider: str | None) -> None:
    if not waiting:
        stdout.print("Nobody is waiting: every active SPoC has the codes in use.", highlight=False)
        return
    table = Table(title="SPoCs who have not had the codes in use")
    for column in ("Provider", "Cycle", "Document", "Code", "SPoC", "Email"):
        table.add_column(column)
    for spoc in waiting:
        row = [
            f"{spoc.provider_ref} {spoc.provider_name}",
            spoc.cycle,
            spoc.document_ref,
            spoc.code_state,
            spoc.spoc_name,
            spoc.spoc_email,
        ]
        table.add_row(*(Text(cell) for cell in row))
    stdout.print(table)
    options = "".join(
        f" {flag} {value}"
        for flag, value in (("--cycle", cycle), ("--provider", provider))
        if value
    )
    stdout.print(
        f"Send them with: codeservice providers new-spocs{options} --send", highlight=False
    )


def _show_sent(report: NewSpocsReport) -> None:
    if not report.sent:
        stdout.print(
            f"Nobody is waiting: {plural(report.needed_nothing, 'SPoC')} already had the codes "
            "in use; "
            "nothing was sent.",
            highlight=False,
        )
        return
    stdout.print(
        f"Email 1 queued for {plural(len(report.sent), 'SPoC')}; "
        f"{report.needed_nothing} already had the codes in use.",
        highlight=False,
    )
    for sent in report.sent:
        stdout.print(
            Text(
                f"  {sent.spoc.provider_ref} {sent.spoc.cycle} {sent.spoc.document_ref}: "
                f"{sent.spoc.spoc_name} <{sent.spoc.spoc_email}>"
            )
        )
    stdout.print("Send them with: codeservice mail send", highlight=False)
