"""How dates and cycles are written for people (always in the service's time zone)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from codeservice.domain.calendar import Cycle

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def cycle_label(cycle: Cycle | str) -> str:
    """'2027-04' -> 'April 2027'."""
    year, month = str(cycle).split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def day_text(moment: datetime, tz: ZoneInfo) -> str:
    """'Monday 5 April 2027'."""
    local = moment.astimezone(tz)
    return f"{local:%A} {local.day} {MONTHS[local.month - 1]} {local.year}"


def moment_text(moment: datetime, tz: ZoneInfo) -> str:
    """'Monday 5 April 2027 at 00:00'."""
    return f"{day_text(moment, tz)} at {moment.astimezone(tz):%H:%M}"


def noun(count: int, singular: str, plural: str | None = None) -> str:
    """The word for ``count`` things: 'code' for 1, 'codes' otherwise (0 included).
    ``plural`` for the words that do not just take an s ('SPoC has' / 'SPoCs have')."""
    if count == 1:
        return singular
    return plural if plural is not None else singular + "s"


def plural(count: int, singular: str, plural: str | None = None) -> str:
    """'1 unlock code', '2 unlock codes', '0 unlock codes': never a bracketed s."""
    return f"{count} {noun(count, singular, plural)}"


def actor_text(actor: str, names: Mapping[str, str] | None = None) -> str:
    """Who did something, as a person reads it, from the audit trail's actor id.

    ``names`` holds what only the database knows (a member of staff's display name, a
    SPoC's name), keyed by actor id; the rest is worded from the id itself:
    'user:sam.sec' -> 'Sam Sec' (or 'sam.sec' without a display name), 'cli:root' ->
    'root (command line)', 'token:crm' -> 'API token crm', 'system:scheduler' -> 'the
    service (scheduler)'.
    """
    if names and actor in names:
        return names[actor]
    kind, _, ident = actor.partition(":")
    if not ident:
        return "the service" if kind == "system" else actor
    return {
        "user": ident,
        "cli": f"{ident} (command line)",
        "token": f"API token {ident}",
        "system": f"the service ({ident})",
        "spoc": "a SPoC no longer on the register",
    }.get(kind, actor)


# What SPoCs are told about a reissue: general terms only, never what was reported.
INCIDENT_REASON = "We have replaced your code after a report of a potential security incident."
PRECAUTION_REASON = "We have replaced your code as a security precaution."


def reissue_reason(*, after_incident: bool) -> str:
    return INCIDENT_REASON if after_incident else PRECAUTION_REASON
