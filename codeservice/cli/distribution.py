"""``codeservice rotate`` and ``codeservice status``."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from codeservice.cli.common import (
    MOST_WORKERS,
    cli_actor,
    console_error,
    container,
    print_json,
    stdout,
)
from codeservice.domain.calendar import Cycle
from codeservice.domain.wording import cycle_label, plural


def register(app: typer.Typer) -> None:
    app.command("rotate")(rotate)
    app.command("status")(status)


def rotate(
    cycle: str = typer.Argument(..., help="The cycle to issue, e.g. 2027-04."),
    force: bool = typer.Option(False, "--force", help="Issue a cycle more than one ahead."),
    workers: int = typer.Option(
        0, min=0, max=MOST_WORKERS, help="Processes for document work (0: one per core)."
    ),
) -> None:
    """Issue a cycle: a code, a document and email 1 for each SPoC of every active prime."""
    from codeservice.services.distribution.rotation import check_rotation_allowed
    from codeservice.services.distribution.rotation import rotate as run_rotation

    app = container()
    target = Cycle.parse(cycle)
    now = app.now()  # the run's time, read once (its batches are stamped as written)
    # Refuse before drawing anything: a refused cycle shows no progress bar.
    check_rotation_allowed(app.calendar, target, now, force)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stdout,
        transient=False,
    ) as progress:
        task = progress.add_task(f"Issuing {target}", total=None)
        report = run_rotation(
            app.press,
            target,
            now=now,
            actor=cli_actor(),
            source="cli",
            force=force,
            workers=workers or None,
            on_total=lambda total: progress.update(task, total=total),
            on_done=lambda _ref: progress.advance(task),
        )
    stdout.print(
        f"Cycle {report.cycle} ({cycle_label(report.cycle)}): "
        f"{plural(report.providers, 'active prime provider')}, "
        f"{plural(report.issued, 'code')} issued now, {report.already_done} already issued, "
        f"{plural(report.emails_queued, 'email')} queued.",
        highlight=False,
    )
    for ref in report.without_spocs:
        stdout.print(
            Text(f"warning: {ref} has no active SPoC; nobody was sent its code.", style="yellow")
        )
    for ref in report.no_security_plan:
        stdout.print(
            Text(f"warning: {ref} was not issued: no approved security plan.", style="yellow")
        )
    if report.issued:
        stdout.print("Send them with: codeservice mail send", highlight=False)
    if report.failed:
        for failed in report.failed:
            console_error(f"{failed.provider_ref} was not issued: {failed.reason}")
        console_error(
            f"{plural(len(report.failed), 'provider')} not issued (the BMT mailbox was told); "
            f"correct the register and run `codeservice rotate {report.cycle}` again: "
            "providers already issued are left alone"
        )
        raise typer.Exit(1)


def status(
    cycle: str | None = typer.Argument(
        None, help="The cycle, e.g. 2027-04. Without it: the scheduler's next runs."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Per provider the code's state; per SPoC email 1, acknowledgement, email 2, failures.

    Without a cycle: who runs the scheduler, its next runs, its last runs, the outbox.
    """
    from codeservice.services.distribution.status import ProviderStatus, cycle_status

    if cycle is None:
        _schedule_status(as_json)
        return
    app = container()
    wanted = Cycle.parse(cycle)
    with app.read_uow() as uow:
        result = cycle_status(uow, wanted)
    if as_json:
        print_json(result.to_json())
        return
    tz = app.settings.tz

    def when(value: datetime | None) -> str:
        return "" if value is None else f"{value.astimezone(tz):%d %b %H:%M}"

    def code_text(provider: ProviderStatus) -> str:
        text: str = provider.code_state
        if provider.document_ref:
            text += f"\n{provider.document_ref}"
        if provider.replaced_by:
            text += f"\nreplaced by {provider.replaced_by}"
        if provider.replaces:
            text += f"\nreplaces {provider.replaces}"
        return text

    title = f"Cycle {result.cycle} ({cycle_label(result.cycle)})"
    if result.reissues:
        title += f" — {plural(result.reissues, 'code')} reissued"
    table = Table(title=title)
    for column in (
        "provider",
        "code",
        "SPoC",
        "email 1 sent",
        "acknowledged",
        "email 2 sent",
        "problem",
    ):
        table.add_column(column)
    for provider in result.providers:
        if not provider.spocs:
            table.add_row(
                Text(f"{provider.ref} {provider.name}"),
                code_text(provider),
                "",
                "",
                "",
                "",
                Text(f"not issued: {provider.issue_error}" if provider.issue_error else ""),
            )
        for index, spoc in enumerate(provider.spocs):
            table.add_row(
                f"{provider.ref} {provider.name}" if index == 0 else "",
                code_text(provider) if index == 0 else "",
                spoc.email,
                when(spoc.document_sent_at) or (spoc.document_state or ""),
                when(spoc.acknowledged_at),
                when(spoc.unlock_sent_at),
                spoc.delivery_error or "",
            )
    stdout.print(table)
    failed = [p.ref for p in result.providers if p.issue_error]
    if failed:
        console_error(
            f"{plural(len(failed), 'provider')} could not be issued: {', '.join(failed)}; "
            f"correct the register and run `codeservice rotate {result.cycle}` again"
        )


def _schedule_status(as_json: bool) -> None:
    from codeservice.cli.serve import service_container
    from scheduler.status import schedule_status

    app = service_container()
    result = schedule_status(app)
    if as_json:
        print_json(result.to_json())
        return
    tz = app.settings.tz

    def when(value: datetime) -> str:
        return f"{value.astimezone(tz):%a %d %b %Y %H:%M %Z}"

    leader = result.leader
    if leader is None:
        stdout.print("Scheduler: no process has ever held the scheduler lease.", highlight=False)
    elif result.leader_live:
        stdout.print(
            f"Scheduler: run by {leader.holder} since {when(leader.acquired_at)} "
            f"(lease renewed {when(leader.renewed_at)}).",
            highlight=False,
        )
    else:
        stdout.print(
            f"[yellow]Scheduler: no process holds the lease[/] (last held by {leader.holder} "
            f"until {when(leader.expires_at)}); start `codeservice serve` or "
            "`codeservice scheduler`.",
            highlight=False,
            markup=True,  # ours; the holder is a host name and process id
        )
    table = Table(title="Next runs")
    for column in ("when", "job", "cycle"):
        table.add_column(column)
    for occurrence in result.due:
        overdue = f"overdue since {when(occurrence.due_at)}"
        table.add_row(overdue, occurrence.describe(), str(occurrence.cycle))
    for occurrence in result.upcoming:
        table.add_row(when(occurrence.due_at), occurrence.describe(), str(occurrence.cycle))
    stdout.print(table)
    if result.recent:
        runs = Table(title="Last runs")
        for column in ("started", "job", "outcome", "what it did"):
            runs.add_column(column, overflow="fold")
        for run in result.recent:
            outcome = str(run["outcome"]) + (" (caught up)" if run["caught_up"] else "")
            started = datetime.fromisoformat(str(run["started_at"]))
            runs.add_row(when(started), f"{run['job']} {run['key']}", outcome, str(run["detail"]))
        stdout.print(runs)
    backlog = ", ".join(f"{count} {state}" for state, count in result.outbox.items())
    stdout.print(f"Outbox: {backlog}.", highlight=False)
