"""The provider register as a CSV file: decoding, parsing and every check (pure).

The file is the whole register: one row per SPoC of a prime provider (an empty
``prime_ref``), one per subcontractor (``prime_ref`` names its prime), optionally
with the prime's security plan dates (``security_plan``). Every problem is reported
as ``FILE:LINE: problem`` (LINE is the physical line, the header is line 1) so that
an operator fixes the whole file in one pass.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from codeservice.domain.email_address import normalise_email
from codeservice.domain.register_input import (
    Problems,
    RegisterLimits,
    check_limits,
    check_size,
    decode_register,
    header_positions,
)
from codeservice.domain.security_plan import PLAN_COLUMNS, SecurityPlan, check_row_plan
from codeservice.domain.text import looks_like_formula, trimmed, unusable_character

__all__ = [
    "RegisterFile",
    "RegisterLimits",
    "check_limits",
    "check_size",
    "decode_register",
    "normalise_email",
    "parse_register",
]

COLUMNS = ("ref", "name", "prime_ref", "spoc_name", "spoc_email")
REF_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class SpocEntry:
    name: str
    email: str
    line: int


@dataclass(frozen=True)
class PrimeEntry:
    ref: str
    name: str
    spocs: tuple[SpocEntry, ...]
    line: int
    plan: SecurityPlan = SecurityPlan()


@dataclass(frozen=True)
class SubcontractorEntry:
    ref: str
    name: str
    prime_ref: str
    line: int


@dataclass(frozen=True)
class RegisterFile:
    primes: list[PrimeEntry]
    subcontractors: list[SubcontractorEntry]
    # The file has the security_plan_* columns: its plan dates replace the register's.
    has_plans: bool = False
    # Not refused, but worth a look: e.g. a name a spreadsheet would run as a formula.
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    ref: str
    name: str
    prime_ref: str
    spoc_name: str
    spoc_email: str
    plan: dict[str, str] = field(default_factory=dict)  # the security_plan_* cells


def parse_register(text: str, filename: str, today: date | None = None) -> RegisterFile:
    """The register in ``text``; raises InputError listing every problem in the file.

    ``today`` (the local date) bounds the security plan dates; None checks no bound.
    """
    problems = Problems(filename)
    rows, rejected_refs = _read_rows(text.removeprefix("\ufeff"), problems)
    register = _check_rows(rows, rejected_refs, problems, today or date.max)
    problems.raise_if_any()
    has_plans = any(row.plan for row in rows)
    return RegisterFile(
        register.primes, register.subcontractors, has_plans, problems.warning_lines()
    )


def _read_rows(text: str, problems: Problems) -> tuple[list[_Row], set[str]]:
    """The data rows, and the refs of rows too malformed to read (no rows: see problems)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.add(1, f"the header is not valid CSV ({exc})")
        return [], set()
    if header is None or not any(cell.strip() for cell in header):
        problems.add(1, f"the file is empty: expected the header {','.join(COLUMNS)}")
        return [], set()
    positions = header_positions(header, problems, COLUMNS, PLAN_COLUMNS)
    if positions is None:
        return [], set()

    rows: list[_Row] = []
    rejected_refs: set[str] = set()
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader, None)
        except csv.Error as exc:
            problems.add(line, f"not valid CSV ({exc}); nothing after this line was read")
            break
        if fields is None:
            break
        if not any(cell.strip() for cell in fields):
            continue  # blank lines and the empty rows spreadsheets leave at the end
        if len(fields) != len(header):
            problems.add(line, f"expected {len(header)} fields, found {len(fields)}")
            if len(fields) > positions["ref"]:
                rejected_refs.add(fields[positions["ref"]].strip())
            continue
        values = {column: trimmed(fields[index]) for column, index in positions.items()}
        plan = {column: values.pop(column) for column in PLAN_COLUMNS if column in values}
        rows.append(_Row(line=line, plan=plan, **values))
    if not rows and not problems.found:
        problems.add(reader.line_num + 1, "no data rows: the file holds only the header")
    return rows, rejected_refs


def _unusable_fields(row: _Row, problems: Problems) -> set[str]:
    """Fields holding a character no document, email header or CSV cell can carry."""
    bad: set[str] = set()
    for column in COLUMNS:
        problem = unusable_character(getattr(row, column))
        if problem is not None:
            problems.add(row.line, f"{column} {problem}")
            bad.add(column)
    for column in ("name", "spoc_name"):
        if column not in bad and looks_like_formula(getattr(row, column)):
            problems.warn(
                row.line,
                f"{column} starts with {getattr(row, column)[0]!r}: a spreadsheet would run "
                "it as a formula (it is imported as it is, and written to CSV files "
                "with a leading ')",
            )
    return bad


def _check_fields(row: _Row, problems: Problems) -> str | None:
    """Checks one row on its own; returns the normalised email of a prime row."""
    bad = _unusable_fields(row, problems)
    if bad:
        return None  # the other checks would only repeat it in other words
    if not row.ref:
        problems.add(row.line, "ref is empty")
    elif not REF_PATTERN.fullmatch(row.ref):
        problems.add(
            row.line,
            f"ref {row.ref!r} is not a valid reference (up to 64 letters, digits, "
            "'.', '_' or '-', starting with a letter or digit)",
        )
    if not row.name:
        problems.add(row.line, "name is empty")
    elif len(row.name) > MAX_NAME_LENGTH:
        problems.add(row.line, f"name is longer than {MAX_NAME_LENGTH} characters")

    if row.prime_ref:
        if not REF_PATTERN.fullmatch(row.prime_ref):
            problems.add(row.line, f"prime_ref {row.prime_ref!r} is not a valid reference")
        elif row.prime_ref == row.ref:
            problems.add(row.line, f"{row.ref!r} names itself as its prime provider")
        if row.spoc_name or row.spoc_email:
            problems.add(
                row.line,
                f"subcontractor {row.ref!r} has SPoC details; SPoCs belong on the rows of "
                "the prime provider (leave spoc_name and spoc_email empty)",
            )
        return None

    if not row.spoc_name:
        problems.add(row.line, f"prime provider {row.ref!r} has no spoc_name")
    elif len(row.spoc_name) > MAX_NAME_LENGTH:
        problems.add(row.line, f"spoc_name is longer than {MAX_NAME_LENGTH} characters")
    if not row.spoc_email:
        problems.add(row.line, f"prime provider {row.ref!r} has no spoc_email")
        return None
    email = normalise_email(row.spoc_email)
    if email is None:
        problems.add(
            row.line,
            f"spoc_email {row.spoc_email!r} is not a valid email address "
            "(expected one name@domain.tld, no spaces)",
        )
    return email


def _check_rows(
    rows: list[_Row], rejected_refs: set[str], problems: Problems, today: date
) -> RegisterFile:
    first_row: dict[str, _Row] = {}  # the first row of each ref, whose name counts
    plans: dict[str, tuple[SecurityPlan, int]] = {}  # a prime's plan and its line
    prime_spocs: dict[str, list[SpocEntry]] = {}
    emails_seen: dict[tuple[str, str], int] = {}
    subcontractors: dict[str, SubcontractorEntry] = {}

    for row in rows:
        email = _check_fields(row, problems)
        if not row.ref:
            continue
        earlier = first_row.setdefault(row.ref, row)
        if earlier is not row:
            if row.name and earlier.name and row.name != earlier.name:
                problems.add(
                    row.line,
                    f"ref {row.ref!r} is named {row.name!r} here but {earlier.name!r} on "
                    f"line {earlier.line}",
                )
            if bool(row.prime_ref) != bool(earlier.prime_ref):
                problems.add(
                    row.line,
                    f"ref {row.ref!r} is {_role(row)} here but {_role(earlier)} on line "
                    f"{earlier.line}",
                )
                continue
            if row.prime_ref:
                problems.add(
                    row.line,
                    f"subcontractor {row.ref!r} already appears on line {earlier.line} "
                    "(a subcontractor has one row)",
                )
                continue
        check_row_plan(row.line, row.ref, row.prime_ref, row.plan, problems, today, plans)
        if row.prime_ref:
            subcontractors[row.ref] = SubcontractorEntry(
                ref=row.ref, name=earlier.name, prime_ref=row.prime_ref, line=row.line
            )
            continue
        spocs = prime_spocs.setdefault(row.ref, [])
        if email is None:
            continue
        key = (row.ref, email.casefold())
        if key in emails_seen:
            problems.add(
                row.line,
                f"spoc_email {email!r} is given twice for {row.ref!r} (first on line "
                f"{emails_seen[key]})",
            )
            continue
        emails_seen[key] = row.line
        if row.spoc_name:
            spocs.append(SpocEntry(name=row.spoc_name, email=email, line=row.line))

    for sub in subcontractors.values():
        if sub.prime_ref in prime_spocs or sub.prime_ref in rejected_refs:
            continue
        if sub.prime_ref == sub.ref or not REF_PATTERN.fullmatch(sub.prime_ref):
            continue  # already reported on its own
        if sub.prime_ref in subcontractors:
            problems.add(
                sub.line,
                f"prime_ref {sub.prime_ref!r} names a subcontractor (line "
                f"{subcontractors[sub.prime_ref].line}), not a prime provider",
            )
        else:
            problems.add(
                sub.line, f"prime_ref {sub.prime_ref!r} names no prime provider in this file"
            )

    primes = [
        PrimeEntry(
            ref=ref,
            name=first_row[ref].name,
            spocs=tuple(spocs),
            line=first_row[ref].line,
            plan=plans.get(ref, (SecurityPlan(), 0))[0],
        )
        for ref, spocs in prime_spocs.items()
    ]
    return RegisterFile(primes=primes, subcontractors=list(subcontractors.values()))


def _role(row: _Row) -> str:
    return "a subcontractor" if row.prime_ref else "a prime provider"
