"""``codeservice retention report|purge``: personal data past its retention period."""

from __future__ import annotations

import typer
from rich.table import Table

from codeservice.cli.common import cli_actor, container, print_json, stdout
from codeservice.domain.retention import RetentionKind
from codeservice.domain.wording import day_text, plural
from codeservice.errors import CodeserviceError

app = typer.Typer(
    no_args_is_help=True,
    help="Personal data kept only as long as configured: what goes when, and purging it.",
)


class AuditNotRedacted(CodeserviceError):
    exit_code = 2


@app.command("report")
def report(as_json: bool = typer.Option(False, "--json")) -> None:
    """For each kind of personal data: its period, how much is past it now, and when the
    next of the rest becomes due. Changes nothing."""
    from codeservice.services.operations.retention import report as retention_report

    built = container()
    from codeservice.services.operations.retention import policy_of

    with built.read_uow() as uow:
        rows = retention_report(uow, policy_of(built.settings), now=built.now())
    if as_json:
        print_json([row.as_dict() for row in rows])
        return
    table = Table("what", "kept for", "due now", "later", "next due")
    tz = built.settings.tz
    for row in rows:
        table.add_row(
            row.kind.label,
            f"{row.months} months",
            str(row.due_now),
            str(row.waiting),
            "-" if row.next_due is None else day_text(row.next_due, tz),
        )
    stdout.print(table)
    stdout.print(
        "`codeservice retention purge` purges what is due now; the scheduler does it daily.",
        highlight=False,
    )


@app.command("purge")
def purge() -> None:
    """Purge or redact everything past its period now (safe to rerun; the scheduler does
    this every day). Audit records are redacted, never removed."""
    from codeservice.services.operations.retention import policy_of
    from codeservice.services.operations.retention import purge as retention_purge

    built = container()
    now = built.now()
    result = retention_purge(
        built.read_uow,
        built.uow,
        built.keyring,
        policy_of(built.settings),
        actor=cli_actor(),
        source="cli",
        now=now,
    )
    for kind in RetentionKind:
        count = result.counts[str(kind)]
        done = "redacted" if kind is RetentionKind.AUDIT else "purged"
        stdout.print(f"{kind.label}: {plural(count, 'row')} {done}", highlight=False)
    if result.audit_problem is not None:
        raise AuditNotRedacted(
            f"audit records: {result.audit_problem}; run `codeservice audit verify`"
        )
