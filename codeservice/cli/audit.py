"""``codeservice audit verify|list``."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from codeservice.cli.common import MOST_ROWS, cli_actor, container, print_json, stdout
from codeservice.domain.wording import noun, plural
from codeservice.errors import CodeserviceError

app = typer.Typer(
    no_args_is_help=True,
    help="The audit trail: verify the chain and its anchor, anchor it, list records.",
)


class AuditChainBroken(CodeserviceError):
    exit_code = 2


@app.command("verify")
def verify() -> None:
    """Check the hash chain, its anchor outside the database, and that every code, reissue
    and staff account has its audit records; exit non-zero on any problem."""
    from codeservice.services.operations.audit_verify import record_verification, verify_trail

    built = container()
    now = built.now()
    report = verify_trail(built.read_uow, built.keyring, built.settings.audit_anchor_file)
    with built.transaction() as uow:
        record_verification(uow, report, actor=cli_actor(), now=now)
    say = stdout.print
    if report.chain_problem is None:
        say(f"hash chain: intact, {plural(report.records, 'record')} verified", highlight=False)
    else:
        say(f"hash chain: BROKEN at {report.chain_problem}", highlight=False)
        intact = noun(report.records, "record before it is", "records before it are")
        say(f"  {report.records} {intact} intact", highlight=False)
    if report.anchor is not None:
        label = "FAILED" if report.anchor.failed else "ok"
        say(f"anchor: {label}: {report.anchor.message}", highlight=False)
    checked = ", ".join(f"{count} {what}" for what, count in report.cross_checked.items())
    if report.unaudited:
        say(f"cross-check: FAILED ({checked} checked)", highlight=False)
        for line in report.unaudited:
            say(f"  {line}", highlight=False)
    else:
        say(f"cross-check: ok, each has its audit records ({checked})", highlight=False)
    problems = report.problems
    if problems:
        kinds = len({p.split(":", 1)[0] for p in problems})
        raise AuditChainBroken(
            f"audit verify failed: {kinds} of 3 checks found problems (see above); "
            "docs/security.md says what each means"
        )
    stdout.print("audit trail intact", highlight=False)


@app.command("anchor")
def anchor() -> None:
    """Anchor a trail that has no anchor yet (one kept from before anchors existed)."""
    from codeservice.services.operations.audit_verify import anchor_trail

    built = container()
    finding = anchor_trail(
        built.read_uow,
        built.uow,
        built.keyring,
        built.settings.audit_anchor_file,
        actor=cli_actor(),
        source="cli",
        now=built.now(),
    )
    if finding.failed:
        raise AuditChainBroken(f"the anchor was not written: {finding.message}")
    stdout.print(
        f"anchor: {finding.message} ({built.settings.audit_anchor_file}); back it up with "
        "the keyring",
        highlight=False,
    )


@app.command("list")
def list_records(
    limit: int = typer.Option(50, min=1, max=MOST_ROWS, help="How many of the newest records."),
    action: str = typer.Option("", help="Only actions starting with this, e.g. 'code:'."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The newest audit records."""
    from codeservice.services.operations.audit import recent

    built = container()
    tz = built.settings.tz
    with built.read_uow() as uow:
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
        # Read while the session is open: its closing rollback leaves the rows unreadable.
        shown = [f"{r.at.astimezone(tz):%Y-%m-%d %H:%M:%S}" for r in rows]
    if as_json:
        print_json(records)
        return
    table = Table()
    for column in ("#", "when", "who", "what", "from", "details"):
        table.add_column(column)
    for r, when in zip(records, shown, strict=True):
        table.add_row(
            str(r["seq"]),
            when,
            str(r["actor"]),
            str(r["action"]),
            str(r["source"]),
            json.dumps(r["details"], ensure_ascii=False)[:80],
        )
    stdout.print(table)
