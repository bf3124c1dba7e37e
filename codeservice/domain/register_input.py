"""A register file before it is parsed: its size, its line count, its encoding (pure).

An import reads at most ``RegisterLimits`` (5 MB, 50,000 lines by default): a file over
either is refused before it is decoded, so that a wrong or hostile file costs neither
minutes nor gigabytes. A file that is not UTF-8 names every line that is not.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def check_size(size: int, filename: str, limits: RegisterLimits) -> None:
    """Refuse a file over the byte limit (called with its size before it is read)."""
    if size > limits.max_bytes:
        raise InputError(
            f"{filename} is {size_text(size)}; a register import takes at most "
            f"{size_text(limits.max_bytes)} (setting register_max_bytes); nothing was "
            "imported. Check that this is the register file."
        )


def check_limits(data: bytes, filename: str, limits: RegisterLimits) -> None:
    """Refuse a file over either limit, before anything in it is decoded or parsed."""
    check_size(len(data), filename, limits)
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    if lines > limits.max_lines:
        raise InputError(
            f"{filename} has {lines:,} lines; a register import takes at most "
            f"{limits.max_lines:,} (setting register_max_lines); nothing was imported. "
            "Check that this is the register file."
        )


def listed(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_LISTED:
        return problems
    more = len(problems) - MAX_LISTED
    return [*problems[:MAX_LISTED], f"... and {more} more problem{'s' if more != 1 else ''}"]


def decode_register(data: bytes, filename: str) -> str:
    """UTF-8 text (a leading BOM dropped); raises InputError naming every line that is not."""
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    try:
        return body.decode("utf-8")
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
