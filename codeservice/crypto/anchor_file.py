"""The file that holds the audit anchor, beside the keyring (I/O only; the rules are in
``codeservice.domain.audit_anchor``).

Writes go through ``compare_and_write``: under an exclusive lock on a lock file, read
what is there, let the caller decide, write. Several processes appending to the trail
at once therefore never move the anchor backwards. Readers take the lock shared, so
none sees a write half done.

The anchor is one block of ``BLOCK`` (512) bytes: its text, padded with spaces. Once
the file is such a block it is rewritten in place and synced (``fdatasync``): a block
of one disk sector is written whole or not at all, so a crash leaves the old anchor or
the new one (PostgreSQL keeps its control file within 512 bytes for the same reason).
That costs a third of the CPU of the other way, kept for a file that is not yet one
block (missing, or written before anchors were padded) or no longer private: a synced
temporary file (``.NAME.tmp``, one fixed name, since every writer holds the lock)
renamed over the old one (0600), then the folder synced.

Within one process, ``advance`` groups the writes (as a database groups commits): the
threads whose commits arrive while one writes the anchor wait for it, then one of them
writes the newest head of all. Each still returns only once a write begun after it
arrived has put its head (or a later one) on disk, but one synced write serves many
commits instead of one each.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from codeservice.errors import ConfigurationError

SESSION_INFO_KEY = "codeservice.audit_anchor"  # where a database session finds the file
BLOCK = 512  # one disk sector: the anchor's text, padded with spaces to fill it


class AnchorFileError(ConfigurationError):
    """The anchor file cannot be read or written."""


class AnchorFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._turn = threading.Lock()  # one writer of this process at a time
        self._guard = threading.Lock()  # the counts and the newest head waiting
        self._started = 0  # writes begun by ``advance``, numbered in order
        self._succeeded = 0  # the number of the last of them that completed
        self._newest: tuple[int, Callable[[str | None], str | None]] | None = None
        self._lock_path = path.with_name(path.name + ".lock")
        self._temporary = path.with_name(f".{path.name}.tmp")

    def __repr__(self) -> str:
        return f"AnchorFile({str(self.path)!r})"

    def read(self) -> str | None:
        """The file's text (without a block's padding), or None if there is no file; read
        under the shared lock."""
        with self._locked(fcntl.LOCK_SH, create=False):
            return self._read()

    def compare_and_write(self, decide: Callable[[str | None], str | None]) -> bool:
        """Under the lock: ``decide(current text)`` gives the new text, or None to keep it."""
        with self._locked(fcntl.LOCK_EX, create=True):
            new = decide(self._read())
            if new is None:
                return False
            data = new.encode("utf-8")
            if len(data) < BLOCK:
                data = data.ljust(BLOCK - 1, b" ") + b"\n"
            if not self._overwrite(data):
                self._replace(data)
            return True

    def advance(self, seq: int, decide: Callable[[str | None], str | None]) -> bool:
        """``compare_and_write`` for a head at record ``seq``, grouped with the other
        threads of this process: returns once a write begun after this call came has
        completed, with this head or a newer one (whose ``decide`` is used instead)."""
        with self._guard:
            arrived_after = self._started
            if self._newest is None or self._newest[0] < seq:
                self._newest = (seq, decide)
        with self._turn:
            with self._guard:
                if self._succeeded > arrived_after:
                    return False  # a write that began after we came covered our head
                self._started += 1
                number = self._started
                newest, self._newest = self._newest, None
                if newest is None or newest[0] < seq:  # taken by a write that failed
                    newest = (seq, decide)
            written = self.compare_and_write(newest[1])
            with self._guard:
                self._succeeded = number
            return written

    def _read(self) -> str | None:
        """The text as it was given to be written: a block's padding taken off. Opened
        without waiting, so that something else at its name (a FIFO) is refused, not
        waited on."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unreadable(exc.strerror or type(exc).__name__) from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise self._unreadable("it is not a file")
            with os.fdopen(fd, "rb", closefd=False) as handle:
                text = handle.read().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise self._unreadable(getattr(exc, "strerror", None) or type(exc).__name__) from None
        finally:
            os.close(fd)
        if len(text) == BLOCK and text.endswith(" \n"):
            return text[:-1].rstrip(" ")
        return text

    def _unreadable(self, reason: str) -> AnchorFileError:
        return AnchorFileError(f"cannot read the audit anchor {self.path}: {reason}")

    def _overwrite(self, data: bytes) -> bool:
        """``data`` (one block) written over the file in place and synced; False, having
        changed nothing, if the file is not a private block of that size."""
        if len(data) != BLOCK:
            return False
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:  # missing, or a link: made again whole
            return False
        try:
            found = os.fstat(fd)
            if not stat.S_ISREG(found.st_mode) or found.st_size != BLOCK or found.st_mode & 0o077:
                return False
            if os.pwrite(fd, data, 0) != BLOCK:
                raise OSError("the audit anchor was written short")
            os.fdatasync(fd)
            return True
        finally:
            os.close(fd)

    def _replace(self, data: bytes) -> None:
        """``data`` as the file (0600), atomically: a synced temporary file renamed over
        it, then the folder synced. Only under the lock (one fixed temporary name)."""
        temporary = self._temporary
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(temporary, flags, 0o600)
            try:
                os.fchmod(fd, 0o600)  # a leftover from a crash keeps its mode otherwise
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        folder = os.open(self.path.parent, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    @contextlib.contextmanager
    def _locked(self, how: int, *, create: bool) -> Iterator[None]:
        """The lock file held (``how``: shared or exclusive). A reader that cannot open
        it (a folder it may not write, no lock file yet) reads without it."""
        folder = self.path.parent
        if create and not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
        flags = os.O_WRONLY | os.O_CLOEXEC | (os.O_CREAT if create else 0)
        try:
            fd = os.open(self._lock_path, flags, 0o600)
        except OSError:
            if create:
                raise
            yield
            return
        try:
            fcntl.flock(fd, how)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
