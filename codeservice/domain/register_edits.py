"""One change to the register made in a form: the file's rules, one field at a time (pure).

A provider's name and a SPoC's name and email follow the same rules as the register
CSV's ``name``, ``spoc_name`` and ``spoc_email`` (``codeservice.domain.register``). A
bad value raises ``InvalidEdit`` with a message per field, for the form to show
against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from codeservice.domain.email_address import normalise_email
from codeservice.domain.register import MAX_NAME_LENGTH
from codeservice.domain.text import unusable_character
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
    name = value.strip()
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
    address = email.strip()
    normalised = None if unusable_character(address) else normalise_email(address)
    if not address:
        errors["spoc_email"] = "Enter the SPoC's email address"
    elif normalised is None:
        errors["spoc_email"] = "Enter an email address in the correct format, like name@example.com"
    if errors or normalised is None:
        raise InvalidEdit(errors)
    return SpocDetails(kept, normalised)
