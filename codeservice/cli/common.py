"""What every command shares: the container, error output, JSON output."""

from __future__ import annotations

import errno
import getpass
import io
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console

from codeservice import logs
from codeservice.bootstrap import Clock, Container, bootstrap, configure_logging, utc_now
from codeservice.domain.text import printable


class _ClosedOutput(io.TextIOBase):
    """Standard output when it was closed (``>&-``: Python's sys.stdout is then None):
    every write fails as a write to the closed descriptor would, so that a command
    reports it (exit 74) — and one showing a secret once makes nothing — instead of
    failing on None or printing into nowhere."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed; nothing could be shown")

    def isatty(self) -> bool:
        return False


if sys.stdout is None:
    sys.stdout = _ClosedOutput()

# Piped or captured output is not squeezed into 80 columns: tables stay readable in logs.
# No rich markup unless a print asks for it: names, reasons and paths are printed as
# they are ("[bold]" or "[link=...]" in a provider's name is text, not a style or a link).
stdout = Console(width=None if sys.stdout.isatty() else 160, markup=False)
stderr = Console(stderr=True, markup=False)


# The service's clock: the real one, unless the test and demonstration entry point
# (scripts/shifted_clock.py) shifted it. No setting or environment variable reaches it.
_clock: Clock = utc_now


def shift_clock(clock: Clock) -> None:
    """For scripts/shifted_clock.py only: every container this process builds reads
    ``clock``, so that an issue day can be reached without waiting a month."""
    global _clock
    _clock = clock


def service_clock() -> Clock:
    return _clock


def container(*, initialising: bool = False) -> Container:
    """The container for one command. Every command but ``init`` refuses a database
    that ``codeservice init`` has not set up — and creates nothing — when it first
    touches it; commands that never touch it (``cycles``) work before ``init``."""
    built = bootstrap(clock=_clock, check_schema=not initialising)
    configure_logging(built.settings)
    logs.set_actor(cli_actor())  # JSON log lines name who ran the command
    return built


T = TypeVar("T")


def audited(change: Callable[..., T], *args: Any, **options: Any) -> T:
    """A command's one audited change, in one transaction: ``change(uow, keyring, *args,
    actor=cli_actor(), now=now, **options)``."""
    built = container()
    now = built.now()
    with built.transaction() as uow:
        return change(uow, built.keyring, *args, actor=cli_actor(), now=now, **options)


def os_user() -> str:
    """Who runs the command: their login name, or "unknown" without one."""
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"


def cli_actor() -> str:
    """The audit trail's actor for whoever runs the command: ``cli:<login name>``."""
    return f"cli:{os_user()}"


def console_error(message: str, prefix: str = "error: ") -> None:
    # Plain write: rich markup must not eat brackets in file names or messages. Each
    # line made printable: a file name or OS error may carry escape sequences.
    lines = [printable(line) for line in f"{prefix}{message}".split("\n")]
    sys.stderr.write("\n".join(lines) + "\n")


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


# Bounds of every whole-number option, so that a slip of the keyboard is a usage error
# naming the option, never an OverflowError from the database or thousands of processes.
MOST_ROWS = 1_000_000  # --limit, --batch-size
MOST_WORKERS = 256  # --workers: document processes
MOST_ID = 2**31 - 1  # an outbox id: what a PostgreSQL INTEGER column holds

EX_SOFTWARE = 70
EX_UNAVAILABLE = 69
EX_NOPERM = 77
EX_IOERR = 74
_DETAILS = "run again with CODESERVICE_LOG_LEVEL=DEBUG to log the details"


def unexpected_error(exc: Exception) -> tuple[str, int]:
    """What to tell the person at the terminal about an error that is not one of ours,
    and the exit code: one line, never a traceback, never a value from the database
    (SQL parameters stay out of the message)."""
    from sqlalchemy.exc import SQLAlchemyError

    if _unreachable(exc):
        reason = str(getattr(exc, "orig", "")).strip().splitlines()[0]
        return (
            f"cannot open the database ({reason}): check CODESERVICE_DATABASE_URL, that the "
            "database server is running and that this user may open the database",
            EX_UNAVAILABLE,
        )
    if isinstance(exc, SQLAlchemyError):
        kind = type(getattr(exc, "orig", None) or exc).__name__
        return (
            f"the database refused the command ({kind}); if codeservice was just upgraded, "
            f"run `codeservice init`; otherwise {_DETAILS}",
            EX_SOFTWARE,
        )
    if isinstance(exc, PermissionError):
        return (
            f"permission denied: {exc.filename or 'a file'}; run the command as the service's "
            "user, or give that user access",
            EX_NOPERM,
        )
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or type(exc).__name__}{where}", EX_IOERR
    return f"the command failed unexpectedly ({type(exc).__name__}); {_DETAILS}", EX_SOFTWARE


def _unreachable(exc: Exception) -> bool:
    from sqlalchemy.exc import DBAPIError

    text = str(getattr(exc, "orig", "")).lower()
    return isinstance(exc, DBAPIError) and any(
        words in text
        for words in (
            "connect",
            "unable to open",
            "could not",
            "no such host",
            "password",
            "not a database",
        )
    )
