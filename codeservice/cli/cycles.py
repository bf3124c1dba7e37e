"""`codeservice cycles`: when each cycle is issued and when it is in force."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from codeservice.cli.common import container, print_json, stdout
from codeservice.domain.calendar import Calendar, Cycle, CycleDates
from codeservice.errors import InputError

# Piped output is not wrapped at 80 columns, so each cycle stays on one line for grep.
_PIPED_WIDTH = 200


def _parse_option(option: str, text: str | None) -> Cycle | None:
    if text is None:
        return None
    try:
        return Cycle.parse(text)
    except InputError as exc:
        raise InputError(f"{option}: {exc}") from None


def _shown(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y %H:%M}"


def _note(calendar: Calendar, dates: CycleDates) -> str:
    wednesday = dates.last_wednesday
    holiday = calendar.bank_holiday(wednesday)
    if holiday is None:
        return ""
    day = f"{wednesday:%a} {wednesday.day} {wednesday:%b}"
    if dates.issue_moved:
        return f"moved: bank holiday ({holiday}, {day})"
    return f"issued on a bank holiday ({holiday}, {day})"


def _table(calendar: Calendar, found: list[CycleDates]) -> Table:
    table = Table(caption=f"Times are {calendar.policy.tz.key}.")
    table.add_column("Cycle", no_wrap=True)
    table.add_column("Issued")
    table.add_column("Active from")
    table.add_column("Active until")
    table.add_column("Note")
    for dates in found:
        table.add_row(
            str(dates.cycle),
            _shown(dates.issue_at),
            _shown(dates.active_from),
            _shown(dates.active_until),
            _note(calendar, dates),
        )
    return table


def cycles(
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="YYYY-MM",
            help="First cycle, YYYY-MM. Default: the cycle in force now.",
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", metavar="YYYY-MM", help="Last cycle, YYYY-MM. Default: two after --from."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show when cycles are issued and when their codes are in force."""
    first = _parse_option("--from", from_)
    last = _parse_option("--to", to)
    built = container()
    calendar = built.calendar
    if first is None:
        first = calendar.cycle_in_force(built.now())
    if last is None:
        last = first.next().next()
    if last < first:
        raise InputError(f"--to {last} is before --from {first}; give the earlier cycle first")

    found = calendar.cycles(first, last)
    if as_json:
        print_json([dates.to_json() for dates in found])
        return
    console = stdout if stdout.is_terminal else Console(width=_PIPED_WIDTH)
    console.print(_table(calendar, found))


def register(app: typer.Typer) -> None:
    app.command("cycles")(cycles)
