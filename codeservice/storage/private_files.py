"""The database's files kept private: a folder only its owner can enter (0700) and
files only its owner can read (0600), made so or tightened, with a warning."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")

log = logging.getLogger(__name__)


def sync_folder(path: Path) -> None:
    """Put the folder's entries on disk (a rename into it, say): until then a power
    loss may undo the rename though the file's data was synced."""
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def private_directory(path: Path) -> None:
    """Make ``path`` a folder only its owner can enter (0700): created so, or an
    existing looser one tightened, with a warning. A shared sticky folder (``/tmp``)
    is left as it is, with a warning: it is not ours to close."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)
        return
    if path.stat().st_mode & stat.S_ISVTX:
        log.warning(
            "the database folder %s is shared with other users (sticky, like /tmp): "
            "keep the database in a folder of its own",
            path,
        )
        return
    _tighten(path, "folder")


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite database ``0600`` inside a ``0700`` folder before SQLite opens
    it (SQLite gives its WAL and shared-memory files the database file's mode), or
    tighten an existing looser one and its companions, with a warning."""
    private_directory(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _tighten(path, "database file")
    for suffix in _SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            _tighten(companion, "database file")


def _tighten(path: Path, what: str) -> None:
    """Take away group and other access from ``path``, saying so when there was any."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return
    try:
        os.chmod(path, mode & 0o700)
    except PermissionError:
        log.warning(
            "the %s %s can be opened by other users (mode %03o) and this user cannot "
            "change that: run `chmod go= %s` as its owner",
            what,
            path,
            mode,
            path,
        )
        return
    log.warning(
        "the %s %s could be opened by other users (mode %03o): tightened to %03o",
        what,
        path,
        mode,
        mode & 0o700,
    )
