"""A prime provider's security plan (§17–18), as the register records it (pure).

A provider may use Provider Direct only once DWP holds its approved security plan:
without an approval date it is not on the approved list, gets no code and the
helpline refuses it. A subcontractor is covered by its prime provider's plan. The
register CSV carries the three dates in optional columns, ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from codeservice.domain.calendar import EARLIEST_DAY
from codeservice.domain.register_input import Problems

NO_SECURITY_PLAN = "no approved security plan"
PRIME_NO_SECURITY_PLAN = "its prime provider has no approved security plan"

RECEIVED = "security_plan_received"
APPROVED = "security_plan_approved"
CHANGED = "security_plan_changed"
PLAN_COLUMNS = (RECEIVED, APPROVED, CHANGED)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class SecurityPlan:
    """When DWP received, approved and last heard of a change to the plan."""

    received_on: date | None = None
    approved_on: date | None = None
    changed_on: date | None = None

    @property
    def approved(self) -> bool:
        return self.approved_on is not None

    @property
    def empty(self) -> bool:
        return self == SecurityPlan()


def parse_plan(cells: dict[str, str], today: date) -> tuple[SecurityPlan, list[str]]:
    """The plan in one row's ``security_plan_*`` cells, and every problem with them.

    ``today`` is the local date of the import: no date may be after it.
    """
    problems: list[str] = []
    dates: dict[str, date | None] = {}
    for column in PLAN_COLUMNS:
        value = cells.get(column, "")
        dates[column] = _date(column, value, today, problems) if value else None
    received, approved, changed = (dates[column] for column in PLAN_COLUMNS)
    for column, rule in order_problems(received, approved, changed, bool(cells.get(RECEIVED))):
        later = dates[column]
        if rule == NO_RECEIVED:
            problems.append(f"{column} is given but {RECEIVED} is empty")
        elif later is not None and received is not None:
            problems.append(
                f"{column} {later.isoformat()} is before {RECEIVED} {received.isoformat()}"
            )
    return SecurityPlan(received, approved, changed), problems


NO_RECEIVED = "no received date"
BEFORE_RECEIVED = "before the received date"


def order_problems(
    received: date | None,
    approved: date | None,
    changed: date | None,
    received_given: bool,
) -> list[tuple[str, str]]:
    """The plan's ordering rules, shared by the register file and the provider's form:
    an approval or a change needs a received date, and neither may be before it.

    ``received_given`` says a received date was entered (even one that was refused, in
    which case only its own problem is reported). Each problem is ``(column, rule)``.
    """
    found: list[tuple[str, str]] = []
    for column, later in ((APPROVED, approved), (CHANGED, changed)):
        if later is None:
            continue
        if received is None and not received_given:
            found.append((column, NO_RECEIVED))
        elif received is not None and later < received:
            found.append((column, BEFORE_RECEIVED))
    return found


def in_future(day: date, today: date) -> bool:
    """No plan date may be after the local date of the change."""
    return day > today


def check_row_plan(
    line: int,
    ref: str,
    prime_ref: str,
    cells: dict[str, str],
    problems: Problems,
    today: date,
    plans: dict[str, tuple[SecurityPlan, int]],
) -> None:
    """One register row's plan cells: a prime's plan (on any of its rows, the same on
    each) goes into ``plans``; a subcontractor's row must leave them empty."""
    if not any(cells.values()):
        return
    if prime_ref:
        problems.add(
            line,
            f"subcontractor {ref!r} has security plan dates; a subcontractor is covered "
            "by its prime provider's plan (leave the security_plan_* columns empty)",
        )
        return
    plan, found = parse_plan(cells, today)
    for problem in found:
        problems.add(line, problem)
    if found:
        return
    earlier = plans.setdefault(ref, (plan, line))
    if earlier[0] != plan:
        problems.add(
            line, f"the security plan dates of {ref!r} differ from those on line {earlier[1]}"
        )


def _date(column: str, value: str, today: date, problems: list[str]) -> date | None:
    try:
        parsed = date.fromisoformat(value) if _ISO_DATE.fullmatch(value) else None
    except ValueError:
        parsed = None
    if parsed is None:
        problems.append(f"{column} {value!r} is not a date (expected YYYY-MM-DD, e.g. 2026-03-31)")
        return None
    if in_future(parsed, today):
        problems.append(f"{column} {value} is in the future (today is {today.isoformat()})")
        return None
    if parsed < EARLIEST_DAY:
        problems.append(
            f"{column} {value} is before the Work Programme began ({EARLIEST_DAY.isoformat()})"
        )
        return None
    return parsed


def plan_status(plan: SecurityPlan) -> str:
    """The plan in a few words, for the register page and the CLI."""
    if plan.approved_on is not None:
        text = f"approved {plan.approved_on.isoformat()}"
    elif plan.received_on is not None:
        text = f"received {plan.received_on.isoformat()}, not approved"
    else:
        return "none received"
    if plan.changed_on is not None:
        text += f", changed {plan.changed_on.isoformat()}"
    return text
