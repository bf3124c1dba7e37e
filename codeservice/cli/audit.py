"""``codeservice audit verify|list``."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from codeservice.cli.common import container, print_json, stdout
from codeservice.domain.wording import noun, plural
from codeservice.errors import CodeserviceError

app = typer.Typer(no_args_is_help=True, help="The audit trail: verify the chain, list records.")


class AuditChainBroken(CodeserviceError):
    exit_code = 2


@app.command("verify")
def verify() -> None:
    """Recompute the hash chain; exit non-zero naming the first bad record."""
    from codeservice.services.audit import verify_chain

    built = container()
    with built.uow() as uow:
        checked, problem = verify_chain(uow, built.keyring.audit_key)
    if problem is not None:
        intact = noun(checked, "record before it is", "records before it are")
        raise AuditChainBroken(f"{problem}; {checked} {intact} intact")
    stdout.print(f"audit trail intact: {plural(checked, 'record')} verified", highlight=False)


@app.command("list")
def list_records(
    limit: int = typer.Option(50, help="How many of the newest records."),
    action: str = typer.Option("", help="Only actions starting with this, e.g. 'code:'."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The newest audit records."""
    from codeservice.services.audit import recent

    built = container()
    tz = built.settings.tz
    with built.uow() as uow:
        rows = recent(uow, limit, action or None)
        records = [
            {
                "seq": r.seq,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "source": r.source,
                "details": json.loads(r.details),
            }
            for r in rows
        ]
    if as_json:
        print_json(records)
        return
    table = Table()
    for column in ("#", "when", "who", "what", "from", "details"):
        table.add_column(column)
    for r, row in zip(records, rows, strict=True):
        table.add_row(
            str(r["seq"]),
            f"{row.at.astimezone(tz):%Y-%m-%d %H:%M:%S}",
            str(r["actor"]),
            str(r["action"]),
            str(r["source"]),
            json.dumps(r["details"], ensure_ascii=False)[:80],
        )
    stdout.print(table)
