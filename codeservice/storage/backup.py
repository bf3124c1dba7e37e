"""Consistent copies of the database, and putting one back.

SQLite: the online backup API, page by page from a read transaction, so the copy is
consistent while the service writes. PostgreSQL: ``pg_dump --format=custom`` (one
snapshot) and ``pg_restore --single-transaction`` (all or nothing). Every file made
here is 0600. The connection's password, if any, goes to the tools in the environment
(``PGPASSWORD``), never on their command line.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

# Engine is named for the use cases that hold one to hand back here (operations.setup).
from sqlalchemy import Engine as Engine
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from codeservice.errors import CodeserviceError
from codeservice.storage.private_files import sync_folder

_PG_TIMEOUT_SECONDS = 6 * 3600


class BackupFailed(CodeserviceError):
    """A copy or a restore could not be made; the message says what to check."""

    exit_code = 74  # EX_IOERR


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy the database ``source`` to the new file ``target`` (0600) and check the copy."""
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    try:
        with (
            contextlib.closing(sqlite3.connect(source)) as origin,
            contextlib.closing(sqlite3.connect(target)) as copy,
        ):
            origin.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            (answer,) = copy.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise BackupFailed(f"cannot copy the database {source}: {exc}") from None
    if answer != "ok":
        target.unlink(missing_ok=True)
        raise BackupFailed(f"the copy of {source} failed its integrity check: {answer}")


def restore_sqlite(source: Path, target: Path) -> None:
    """Put the copy ``source`` in place as ``target``: written beside it (synced, as
    SQLite syncs a commit), then renamed and the folder synced, so ``target`` is either
    absent (or empty) or the whole copy, after a power loss too."""
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(descriptor)
    os.unlink(temporary)
    try:
        copy_sqlite(source, Path(temporary))
        for suffix in ("-wal", "-shm", "-journal"):  # an empty database's companions
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, target)
        sync_folder(target.parent)  # the copy in place before the anchor it goes with
    finally:
        Path(temporary).unlink(missing_ok=True)


def sqlite_table_count(path: Path) -> int:
    """How many tables the SQLite file holds (0 for a missing or empty file)."""
    if not path.exists() or path.stat().st_size == 0:
        return 0
    try:
        with contextlib.closing(sqlite3.connect(path)) as database:
            row = database.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
            return int(row.fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(f"{path} is not a usable SQLite database: {exc}") from None


def table_count(engine: Engine) -> int:
    """How many tables the (PostgreSQL) database's default schema holds."""
    return len(inspect(engine).get_table_names())


def dump_postgresql(url: str, target: Path) -> None:
    """``pg_dump --format=custom`` of the database ``url`` into the new file ``target``."""
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    try:
        _run_tool("pg_dump", url, ["--format=custom", "--no-owner", f"--file={target}"])
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def restore_postgresql(url: str, source: Path) -> None:
    """``pg_restore`` the dump ``source`` into the database ``url``, in one transaction."""
    _run_tool(
        "pg_restore",
        url,
        ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", str(source)],
    )


def _run_tool(tool: str, url: str, arguments: list[str]) -> None:
    program = shutil.which(tool)
    if program is None:
        raise BackupFailed(
            f"{tool} is not installed: install the PostgreSQL client tools "
            "(Debian: postgresql-client) of the server's version or newer"
        )
    parsed = make_url(url)
    environment = dict(os.environ)
    if parsed.password is not None:
        environment["PGPASSWORD"] = str(parsed.password)
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False
    )
    try:
        subprocess.run(  # noqa: S603 - the PostgreSQL tool found on PATH, fixed arguments
            [program, f"--dbname={conninfo}", *arguments],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
            timeout=_PG_TIMEOUT_SECONDS,
        )
    except subprocess.CalledProcessError as exc:
        lines = [line for line in (exc.stderr or "").splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit status {exc.returncode}"
        raise BackupFailed(f"{tool} failed: {reason}") from None
    except subprocess.TimeoutExpired:
        raise BackupFailed(f"{tool} did not finish within {_PG_TIMEOUT_SECONDS}s") from None
