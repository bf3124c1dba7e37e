"""A password from ``--password-file``, standard input or the terminal.

A file or a pipe is read no further than ``MOST_BYTES``: the password is its first line,
and a file of hundreds of megabytes, or ``/dev/zero`` piped in, must be refused without
being read into memory. A byte order mark (Notepad's "UTF-8") is dropped — kept, it
would be an invisible first character that no one could type at sign-in — and a file
that is not UTF-8 is refused without saying where in the password the bad byte was.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

import typer

from codeservice.domain.accounts import MAX_PASSWORD_LENGTH
from codeservice.errors import InputError

# Enough for MAX_PASSWORD_LENGTH characters of four UTF-8 bytes each, and a line end.
MOST_BYTES = 4 * MAX_PASSWORD_LENGTH + 2
_BOM = b"\xef\xbb\xbf"


def read_password(password_file: Path | None) -> str:
    """From ``--password-file``; asked for twice without echo at a terminal; otherwise
    read from standard input (its first line, and the second must match if given) —
    without the warning getpass prints when it has no terminal to hide the typing."""
    if password_file is not None:
        what = f"the password file {password_file}"
        try:
            with password_file.open("rb") as file:
                password = _line(file, what)
        except OSError as exc:
            raise InputError(f"cannot read {what}: {exc.strerror or exc}") from None
        if not password:
            raise InputError(f"{what} is empty")
        return password
    if sys.stdin is None:  # closed (``<&-``): nothing to read, no one to ask
        raise InputError("no password given: standard input is closed; use --password-file FILE")
    if not sys.stdin.isatty():
        return _password_from_stdin()
    password = typer.prompt("Password", hide_input=True)
    again = typer.prompt("Repeat the password", hide_input=True)
    if password != again:
        raise InputError("the two passwords do not match; nothing was changed")
    return str(password)


def _password_from_stdin() -> str:
    stream: BinaryIO = sys.stdin.buffer
    password = _line(stream, "standard input")
    again = stream.readline(MOST_BYTES + 1)
    if not password:
        raise InputError(
            "no password given: standard input is not a terminal, so the password is read "
            "from it (one line); pipe it in, or use --password-file FILE"
        )
    if again and _decoded(again, "standard input").rstrip("\r\n") != password:
        raise InputError("the two passwords do not match; nothing was changed")
    return password


def _line(stream: BinaryIO, what: str) -> str:
    """The first line of ``stream`` without its line end, read no further than
    ``MOST_BYTES``."""
    line = stream.readline(MOST_BYTES + 1)
    if len(line) > MOST_BYTES:
        raise InputError(
            f"the first line of {what} is longer than any password can be "
            f"({MAX_PASSWORD_LENGTH} characters); nothing was changed"
        )
    return _decoded(line.removeprefix(_BOM), what).rstrip("\r\n")


def _decoded(line: bytes, what: str) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8 text; save it as UTF-8") from None
