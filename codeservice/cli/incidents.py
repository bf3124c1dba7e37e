"""``codeservice incidents ...``: Annex B reports — record, list, show, assess, decide."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from codeservice.cli.common import audited, cli_actor, container, print_json, stdout
from codeservice.domain.incidents import InvalidReport, ReasonCategory
from codeservice.domain.triage import waiting_text
from codeservice.domain.wording import moment_text, plural
from codeservice.errors import InputError

app = typer.Typer(
    no_args_is_help=True,
    help="Potential security incident reports (Annex B) and their triage.",
)
SOURCE = "cli"
# The option that carries each field of the proforma, to name it in an error.
_OPTIONS = {
    "subcontractor": "--subcontractor",
    "change_date": "--date",
    "reason": "--reason",
    "details": "--details",
}


REASON_HELP = "One of: " + ", ".join(r.value for r in ReasonCategory) + "."


@app.command("record")
def record(
    provider: Annotated[str, typer.Option("--provider", help="The prime provider's ref.")],
    date: Annotated[
        str, typer.Option("--date", help="Date of the change of circumstances, YYYY-MM-DD.")
    ],
    reason: Annotated[str, typer.Option("--reason", help=REASON_HELP)],
    details: Annotated[
        str,
        typer.Option("--details", help="The description, without personal details of staff."),
    ],
    subcontractor: Annotated[
        str, typer.Option("--subcontractor", help="The subcontractor organisation, if any.")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Enter a proforma the security team received by email."""
    from codeservice.services.incidents.reports import record_report

    app_ = container()
    try:
        now = app_.now()
        with app_.transaction() as uow:
            view = record_report(
                uow,
                app_.mailroom,
                provider_ref=provider,
                change_date=date,
                reason=reason,
                details=details,
                subcontractor=subcontractor,
                actor=cli_actor(),
                source=SOURCE,
                now=now,
            )
    except InvalidReport as invalid:
        problems = [f"{_OPTIONS.get(name, name)}: {text}" for name, text in invalid.errors.items()]
        raise InputError(
            "the report was not recorded; nothing was changed", problems=problems
        ) from None
    if as_json:
        print_json(_as_json(view, app_.now()))
        return
    stdout.print(
        f"Recorded {view.reference} for {view.provider_name} ({view.provider_ref}); "
        f"the security mailbox has been told.",
        highlight=False,
    )


@app.command("list")
def list_(
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="Only these states (repeatable): received, assessed, reissue, no-change.",
        ),
    ] = None,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only reports not yet decided.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Reports, oldest first, with how long each has waited for a decision."""
    from codeservice.services.incidents.views import list_reports, parse_states

    app_ = container()
    states = parse_states(state or [])
    if open_only:
        waiting = ["received", "assessed"]
        states = [s for s in states or waiting if s in waiting] or ["none"]
    now = app_.now()
    views = []
    if states != ["none"]:
        with app_.read_uow() as uow:
            views = list_reports(uow, states=states or None)
    if as_json:
        print_json([_as_json(view, now) for view in views])
        return
    if not views:
        stdout.print("No incident reports.", highlight=False)
        return
    tz = app_.settings.tz
    table = Table()
    for column in ("Reference", "Provider", "Reason", "Received", "State", "Waited"):
        table.add_column(column)
    for view in views:
        table.add_row(
            *(
                Text(cell)
                for cell in (
                    view.reference,
                    f"{view.provider_ref} {view.provider_name}",
                    view.reason.value,
                    f"{view.received_at.astimezone(tz):%d %b %Y %H:%M}",
                    view.state.value,
                    waiting_text(view.waiting(now)),
                )
            )
        )
    stdout.print(table)


@app.command("show")
def show(
    reference: Annotated[str, typer.Argument(help="The report, e.g. INC-2027-0042.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One report in full, with its triage so far."""
    from codeservice.services.incidents.views import get_report

    app_ = container()
    with app_.read_uow() as uow:
        view = get_report(uow, reference)
    data = _as_json(view, app_.now())
    if as_json:
        print_json(data)
        return
    tz = app_.settings.tz
    lines = [
        ("Reference", view.reference),
        ("Provider", f"{view.provider_name} ({view.provider_ref})"),
        ("Subcontractor", view.subcontractor or "-"),
        ("Date of change", view.change_date.isoformat()),
        ("Reason", view.reason.label),
        ("Description", view.details),
        ("Reported by", view.reported_by_label),
        ("Received", moment_text(view.received_at, tz)),
        ("State", view.state.label),
        ("Waited", data["waited"]),
    ]
    if view.assessed_at:
        assessed = moment_text(view.assessed_at, tz)
        lines.append(("Assessed", f"{assessed} by {view.assessed_by_label}"))
    if view.assessment_note:
        lines.append(("Assessment note", view.assessment_note))
    if view.decided_at:
        lines.append(("Decided", f"{moment_text(view.decided_at, tz)} by {view.decided_by_label}"))
        lines.append(("Reason for decision", view.decision_reason or ""))
    if view.reissue_id is not None:
        done = (
            f"completed {moment_text(view.reissue_completed_at, tz)}, "
            f"{plural(view.codes_replaced, 'code')} replaced"
            if view.reissue_completed_at
            else "NOT COMPLETED: finish it with `codeservice reissue "
            f"{view.provider_ref} --incident {view.reference}`"
        )
        lines.append(("Reissue", f"#{view.reissue_id}, {done}"))
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for label, value in lines:
        table.add_row(Text(label), Text(value))
    stdout.print(table)


@app.command("assess")
def assess(
    reference: Annotated[str, typer.Argument(help="The report, e.g. INC-2027-0042.")],
    note: Annotated[str, typer.Option("--note", help="What the assessment found.")] = "",
) -> None:
    """Mark a received report as assessed (§51)."""
    from codeservice.services.incidents.triage import assess_report

    view = audited(assess_report, reference, source=SOURCE, note=note)
    stdout.print(f"{view.reference} is assessed.", highlight=False)


@app.command("decide")
def decide(
    reference: Annotated[str, typer.Argument(help="The report, e.g. INC-2027-0042.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded, §52).")],
    reissue: Annotated[
        bool, typer.Option("--reissue", help="The code must change: reissue it now.")
    ] = False,
    no_change: Annotated[
        bool, typer.Option("--no-change", help="The code need not change.")
    ] = False,
) -> None:
    """Decide a report: --reissue (replaces the provider's codes at once) or --no-change."""
    from codeservice.errors import InputError
    from codeservice.services.incidents.triage import decide_report

    if reissue == no_change:
        raise InputError("choose exactly one of --reissue and --no-change")
    app_ = container()
    actor = cli_actor()
    now = app_.now()
    with app_.transaction() as uow:
        result = decide_report(
            uow,
            app_.keyring,
            reference,
            decision="reissue" if reissue else "no-change",
            reason=reason,
            actor=actor,
            source=SOURCE,
            now=now,
        )
    view = result.view
    if result.already:
        stdout.print(f"{view.reference} was already decided: {view.state.label.lower()}.")
    else:
        stdout.print(f"{view.reference}: {view.state.label.lower()}.", highlight=False)
    if result.reissue_id is not None:
        from codeservice.cli.reissue import print_reissue
        from codeservice.services.incidents.reissue import complete_reissue

        done = complete_reissue(
            app_.read_uow,
            app_.uow,
            app_.issuer,
            result.reissue_id,
            actor=actor,
            source=SOURCE,
            now=now,
        )
        print_reissue(done, app_.settings.tz)


def _as_json(view: Any, now: Any) -> dict[str, Any]:
    return {
        "reference": view.reference,
        "provider_ref": view.provider_ref,
        "provider_name": view.provider_name,
        "subcontractor": view.subcontractor,
        "change_date": view.change_date.isoformat(),
        "reason": view.reason.value,
        "details": view.details,
        "source": view.source,
        "reported_by": view.reported_by,
        "received_at": view.received_at.isoformat(),
        "state": view.state.value,
        "waited": waiting_text(view.waiting(now)),
        "waited_seconds": int(view.waiting(now).total_seconds()),
        "assessed_at": view.assessed_at.isoformat() if view.assessed_at else None,
        "assessed_by": view.assessed_by,
        "assessment_note": view.assessment_note,
        "decided_at": view.decided_at.isoformat() if view.decided_at else None,
        "decided_by": view.decided_by,
        "decision_reason": view.decision_reason,
        "reissue_id": view.reissue_id,
        "reissue_completed_at": (
            view.reissue_completed_at.isoformat() if view.reissue_completed_at else None
        ),
        "codes_replaced": view.codes_replaced,
    }
