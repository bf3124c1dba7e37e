"""One change to the register made in a form: the file's rules, one field at a time (pure).

A provider's name and a SPoC's name and email follow the same rules as the register
CSV's ``name``, ``spoc_name`` and ``spoc_email`` (``codeservice.domain.register``). A
bad value raises ``InvalidEdit`` with a message per field, for the form to show
against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from codeservice.domain.calendar import EARLIEST_DAY, EARLIEST_DAY_TEXT
from codeservice.domain.email_address import normalise_email
from codeservice.domain.register import MAX_NAME_LENGTH
from codeservice.domain.security_plan import (
    APPROVED,
    CHANGED,
    NO_RECEIVED,
    RECEIVED,
    SecurityPlan,
    in_future,
    order_problems,
)
from codeservice.domain.text import composed, trimmed, unusable_character, whole_number
from codeservice.errors import InputError


class InvalidEdit(InputError):
    """One or more fields of the form are wrong; ``errors`` maps field to message."""

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class SpocDetails:
    name: str
    email: str


def _name(value: str, what: str) -> tuple[str, str | None]:
    """The name as kept, and what is wrong with it (None: nothing)."""
    name = composed(trimmed(value))
    problem = unusable_character(name)
    if problem is not None:
        return name, f"The {what} {problem}"
    if not name:
        return name, f"Enter the {what}"
    if len(name) > MAX_NAME_LENGTH:
        return name, f"The {what} must be {MAX_NAME_LENGTH} characters or fewer"
    return name, None


def check_provider_name(value: str) -> str:
    name, problem = _name(value, "provider's name")
    if problem:
        raise InvalidEdit({"name": problem})
    return name


def check_spoc(name: str, email: str) -> SpocDetails:
    errors: dict[str, str] = {}
    kept, problem = _name(name, "SPoC's name")
    if problem:
        errors["spoc_name"] = problem
    address = trimmed(email)
    normalised = None if unusable_character(address) else normalise_email(address)
    if not address:
        errors["spoc_email"] = "Enter the SPoC's email address"
    elif normalised is None:
        errors["spoc_email"] = "Enter an email address in the correct format, like name@example.com"
    if errors or normalised is None:
        raise InvalidEdit(errors)
    return SpocDetails(kept, normalised)


PLAN_FIELDS = {RECEIVED: "received", APPROVED: "approved", CHANGED: "changed"}
_PLAN_WORDS = {
    "received": "the plan was received",
    "approved": "the plan was approved",
    "changed": "the plan last changed",
}
_PARTS = ("day", "month", "year")


def check_plan_dates(parts: dict[str, tuple[str, str, str]], today: date) -> SecurityPlan:
    """The security plan from the provider page's three GOV.UK date inputs.

    ``parts`` maps ``received``, ``approved`` and ``changed`` to (day, month, year) as
    typed; a date left wholly empty is not recorded. The register file's rules apply
    (``codeservice.domain.security_plan``): no date after ``today``, and an approval or
    a change needs a received date on or before it. Raises ``InvalidEdit`` naming each
    field that is wrong.
    """
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for field in PLAN_FIELDS.values():
        typed = tuple(part.strip() for part in parts.get(field, ("", "", "")))
        dates[field] = None
        if not any(typed):
            continue
        dates[field], problem = _form_date(typed, _PLAN_WORDS[field], today)
        if problem:
            errors[field] = problem
    received, approved, changed = (dates[field] for field in PLAN_FIELDS.values())
    for column, rule in order_problems(received, approved, changed, "received" in errors):
        field = PLAN_FIELDS[column]
        if field in errors:
            continue
        if rule == NO_RECEIVED:
            errors["received"] = f"Enter the date {_PLAN_WORDS['received']}"
        else:
            errors[field] = (
                f"The date {_PLAN_WORDS[field]} must be the same as or after the date "
                f"{_PLAN_WORDS['received']}"
            )
    if errors:
        raise InvalidEdit(errors)
    return SecurityPlan(received, approved, changed)


def _form_date(typed: tuple[str, ...], words: str, today: date) -> tuple[date | None, str | None]:
    """The date in (day, month, year), or what is wrong with it, GOV.UK-worded."""
    missing = [name for name, value in zip(_PARTS, typed, strict=True) if not value]
    if missing:
        return None, f"The date {words} must include a {' and '.join(missing)}"
    numbers = [whole_number(value) for value in typed]
    day, month, year = numbers
    if day is None or month is None or year is None or len(typed[2]) != 4:
        return None, f"The date {words} must be a real date"
    try:
        value = date(year, month, day)
    except ValueError:
        return None, f"The date {words} must be a real date"
    if in_future(value, today):
        return None, f"The date {words} must be today or in the past"
    if value < EARLIEST_DAY:
        return None, f"The date {words} must be on or after {EARLIEST_DAY_TEXT}"
    return value, None
