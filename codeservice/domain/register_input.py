"""A register file before it is parsed: its size, its line count, its encoding (pure).

An import reads at most ``RegisterLimits`` (5 MB, 50,000 lines by default): a file over
either is refused before it is decoded, so that a wrong or hostile file costs neither
minutes nor gigabytes. A file that is not UTF-8 names every line that is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from codeservice.domain.text import composed, trimmed
from codeservice.errors import InputError

_BOM = b"\xef\xbb\xbf"
MAX_LISTED = 100  # problems listed one by one; the rest are counted


@dataclass(frozen=True)
class RegisterLimits:
    """The largest register file an import reads (settings ``register_max_*``)."""

    max_bytes: int = 5_000_000
    max_lines: int = 50_000


def size_text(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def check_size(size: int, filename: str, limits: RegisterLimits, *, whole: bool = True) -> None:
    """Refuse a file over the byte limit (called with its size before it is read).
    ``whole=False``: ``size`` is only what was read of a stream (a pipe) that may go on."""
    if size > limits.max_bytes:
        most = size_text(limits.max_bytes)
        raise InputError(
            f"{filename} is {size_text(size) if whole else 'more than ' + most}; a register "
            f"import takes at most {most} (setting register_max_bytes); nothing was "
            "imported. Check that this is the register file."
        )


def check_limits(data: bytes, filename: str, limits: RegisterLimits) -> None:
    """Refuse a file over either limit, before anything in it is decoded or parsed."""
    check_size(len(data), filename, limits)
    # Line ends as the CSV reader sees them: LF, CRLF and a lone CR (old Mac files),
    # which would otherwise carry any number of rows past the limit as "one line".
    ends = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    lines = ends + (1 if data and not data.endswith((b"\n", b"\r")) else 0)
    if lines > limits.max_lines:
        raise InputError(
            f"{filename} has {lines:,} lines; a register import takes at most "
            f"{limits.max_lines:,} (setting register_max_lines); nothing was imported. "
            "Check that this is the register file."
        )


class Problems:
    """Every problem found in one file, each reported as ``FILE:LINE: problem``."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.found: list[tuple[int, str]] = []
        self.warnings: list[tuple[int, str]] = []

    def add(self, line: int, message: str) -> None:
        self.found.append((line, message))

    def warn(self, line: int, message: str) -> None:
        self.warnings.append((line, message))

    def warning_lines(self) -> list[str]:
        found = sorted(self.warnings, key=_line)
        return listed([f"{self.filename}:{line}: {message}" for line, message in found])

    def raise_if_any(self) -> None:
        if self.found:
            found = sorted(self.found, key=_line)  # stable: a line's problems in found order
            lines = [f"{self.filename}:{line}: {message}" for line, message in found]
            count = len(lines)
            raise InputError(
                f"{self.filename}: {count} problem{'s' if count != 1 else ''} found; "
                "nothing was imported",
                problems=listed(lines),
            )


def _line(problem: tuple[int, str]) -> int:
    return problem[0]


def header_positions(
    header: list[str], problems: Problems, required: Sequence[str], optional: Sequence[str]
) -> dict[str, int] | None:
    """Where each column is; None (and problems) without every required one.

    The optional columns come all together or not at all.
    """
    names = [trimmed(cell).lower() for cell in header]
    for separator, called in ((";", "semicolons"), ("\t", "tabs")):
        if len(names) == 1 and separator in names[0]:  # a spreadsheet's other "CSV"
            problems.add(
                1,
                f"the columns are separated by {called}, not commas; save the file as "
                "'CSV UTF-8 (Comma delimited)'",
            )
            return None
    known = (*required, *optional)
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in positions:
            problems.add(1, f"column {name!r} appears twice in the header")
        elif name in known:
            positions[name] = index
        else:
            shown = name or f"(empty, column {index + 1})"
            problems.add(
                1,
                f"unknown column {shown!r}; the columns are {', '.join(required)} "
                f"(and, together, {', '.join(optional)})",
            )
    missing = [column for column in required if column not in positions]
    if any(column in positions for column in optional):
        for column in optional:
            if column not in positions:
                problems.add(
                    1, f"missing column {column!r}; the columns {', '.join(optional)} go together"
                )
                missing.append(column)
    for column in missing:
        if column in required:
            problems.add(1, f"missing column {column!r}; the columns are {', '.join(required)}")
    return None if missing else positions


def listed(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_LISTED:
        return problems
    more = len(problems) - MAX_LISTED
    return [*problems[:MAX_LISTED], f"... and {more} more problem{'s' if more != 1 else ''}"]


def decode_register(data: bytes, filename: str) -> str:
    """UTF-8 text (a leading BOM dropped), ``composed``; raises InputError naming every
    line that is not UTF-8."""
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    try:
        return composed(body.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    problems = []
    for number, line in enumerate(body.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(
                f"{filename}:{number}: not UTF-8 text (byte 0x{line[exc.start]:02X} at "
                f"position {exc.start + 1}); save the file as 'CSV UTF-8'"
            )
    count = len(problems)
    raise InputError(
        f"{filename} is not UTF-8 text ({count} line{'s' if count != 1 else ''}); "
        "nothing was imported",
        problems=listed(problems),
    )
