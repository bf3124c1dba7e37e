"""Annex B potential security incidents (§48–53), as pure rules.

A proforma names the prime provider, optionally a subcontractor, the date of the
change of circumstances, one of the §48 reasons and a description. Free text holding
personal details about a member of staff is refused (``personal_details``).

Triage, the security team's steps on a report, is in ``domain.triage``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from codeservice.domain.calendar import EARLIEST_DAY, EARLIEST_DAY_TEXT
from codeservice.domain.personal_details import find_personal_details, personal_details_message
from codeservice.domain.text import trimmed, unusable_character, whole_number
from codeservice.errors import CodeserviceError, InputError

MAX_DETAILS = 2000
MAX_SUBCONTRACTOR = 255
REPORT_WINDOW = timedelta(hours=1)  # a SPoC link sends at most a setting's reports in it


class ReasonCategory(StrEnum):
    """The §48 instances when DWP must be told of a change of circumstances."""

    LEFT_WITHOUT_NOTICE = "left-without-notice"
    DISMISSED = "dismissed"
    SUSPECTED_FRAUD = "suspected-fraud"
    SUBCONTRACTOR_ENDED = "subcontractor-ended"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _REASON_LABELS[self]


_REASON_LABELS = {
    ReasonCategory.LEFT_WITHOUT_NOTICE: (
        "A member of staff left without giving notice, or was subject to pending "
        "disciplinary procedures"
    ),
    ReasonCategory.DISMISSED: "A member of staff was dismissed",
    ReasonCategory.SUSPECTED_FRAUD: "There is reason to suspect fraudulent activity",
    ReasonCategory.SUBCONTRACTOR_ENDED: (
        "A subcontractor went into liquidation, ceased trading or ended its relationship with you"
    ),
    ReasonCategory.OTHER: "Another situation where there is the potential for a security breach",
}


def parse_reason(value: str) -> ReasonCategory:
    try:
        return ReasonCategory(value.strip().lower())
    except ValueError:
        choices = ", ".join(reason.value for reason in ReasonCategory)
        raise InputError(f"unknown reason {value!r}: choose one of {choices}") from None


class TooManyReports(CodeserviceError):
    """A link has sent its reports for the hour; ``retry_at`` is when it can send again."""

    status_code = 429
    code = "too_many_reports"

    def __init__(self, limit: int, retry_at: datetime) -> None:
        super().__init__(
            f"This link has sent {limit} reports in the last hour, the most it can send"
        )
        self.limit = limit
        self.retry_at = retry_at


def check_report_rate(sent: Iterable[datetime], *, limit: int, now: datetime) -> None:
    """Refuse a report when ``limit`` were already sent in the hour before ``now``."""
    recent = sorted(at for at in sent if at > now - REPORT_WINDOW)
    if len(recent) >= limit:
        # Once this one leaves the hour, fewer than ``limit`` are left in it.
        raise TooManyReports(limit, recent[len(recent) - limit] + REPORT_WINDOW)


# --- the proforma -----------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentDetails:
    """A checked proforma; ``details`` holds no e-mail address, phone or NI number."""

    subcontractor: str | None
    change_date: date
    reason: ReasonCategory
    details: str


class InvalidReport(InputError):
    """Field-level problems with a proforma: ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(
            "the report was not recorded: " + "; ".join(errors.values()),
            problems=list(errors.values()),
        )
        self.errors = errors


FIELD_ORDER = ("subcontractor", "change_date", "reason", "details")


def check_report(
    *,
    subcontractor: str,
    day: str,
    month: str,
    year: str,
    reason: str,
    details: str,
    today: date,
) -> IncidentDetails:
    """The proforma as typed (strings, as a form sends them), checked; raises
    ``InvalidReport`` with every problem at once."""
    errors: dict[str, str] = {}
    subcontractor_text = " ".join(trimmed(subcontractor).split())
    if len(subcontractor_text) > MAX_SUBCONTRACTOR:
        errors["subcontractor"] = (
            f"Subcontractor organisation must be {MAX_SUBCONTRACTOR} characters or fewer"
        )
    elif problem := unusable_character(subcontractor_text):
        errors["subcontractor"] = f"Subcontractor organisation {problem}"
    elif kinds := find_personal_details(subcontractor_text):
        errors["subcontractor"] = personal_details_message(kinds)

    change_date = _check_date(day, month, year, today, errors)

    category: ReasonCategory | None = None
    try:
        category = ReasonCategory(reason.strip())
    except ValueError:
        errors["reason"] = "Select the reason for the report"

    details_text = trimmed(details)
    if not details_text:
        errors["details"] = "Enter a description of what happened"
    elif len(details_text) > MAX_DETAILS:
        errors["details"] = f"Description must be {MAX_DETAILS} characters or fewer"
    elif problem := unusable_character(details_text, multiline=True):
        errors["details"] = f"Description {problem}"
    elif kinds := find_personal_details(details_text):
        errors["details"] = personal_details_message(kinds)

    if errors or change_date is None or category is None:
        raise InvalidReport({name: errors[name] for name in FIELD_ORDER if name in errors})
    return IncidentDetails(
        subcontractor=subcontractor_text or None,
        change_date=change_date,
        reason=category,
        details=details_text,
    )


def _check_date(
    day: str, month: str, year: str, today: date, errors: dict[str, str]
) -> date | None:
    parts = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    missing = [name for name, value in parts.items() if not value]
    if len(missing) == 3:
        errors["change_date"] = "Enter the date of the change of circumstances"
        return None
    if missing:
        errors["change_date"] = (
            f"Date of the change of circumstances must include a {' and '.join(missing)}"
        )
        return None
    # ASCII digits, and few: "²" passes str.isdigit, and a day twenty digits long
    # overflows date() instead of being refused as a bad value.
    year_number = whole_number(parts["year"], max_digits=4)
    month_number = whole_number(parts["month"], max_digits=4)
    day_number = whole_number(parts["day"], max_digits=4)
    try:
        if year_number is None or month_number is None or day_number is None:
            raise ValueError("not a date")
        if len(parts["year"]) != 4:
            raise ValueError("the year in full")
        when = date(year_number, month_number, day_number)
    except ValueError:
        errors["change_date"] = "Date of the change of circumstances must be a real date"
        return None
    if when > today:
        errors["change_date"] = "Date of the change of circumstances must be today or in the past"
        return None
    if when < EARLIEST_DAY:
        errors["change_date"] = (
            f"Date of the change of circumstances must be on or after {EARLIEST_DAY_TEXT}"
        )
        return None
    return when


def report_reference(year: int, number: int) -> str:
    """'INC-2027-0042'."""
    return f"INC-{year}-{number:04d}"


_REFERENCE = re.compile(r"INC-(\d{4})-(\d{4,})", re.IGNORECASE)


def parse_reference(value: str) -> str:
    text = value.strip().upper()
    if not _REFERENCE.fullmatch(text):
        raise InputError(f"{value!r} is not a report reference (they look like INC-2027-0042)")
    return text
