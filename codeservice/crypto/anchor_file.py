"""The file that holds the audit anchor, beside the keyring (I/O only; the rules are in
``codeservice.domain.audit_anchor``).

Writes are atomic (a synced temporary file renamed over the old one, then the folder
synced) and go through ``compare_and_write``: under an exclusive lock on a lock file,
read what is there, let the caller decide, write. Several processes appending to the
trail at once therefore never move the anchor backwards. Since every writer holds that
lock, the temporary file has one fixed name beside the anchor: no random name to make.

Within one process, ``advance`` groups the writes (as a database groups commits): the
threads whose commits arrive while one writes the anchor wait for it, then one of them
writes the newest head of all. Each still returns only once a write begun after it
arrived has put its head (or a later one) on disk, but two synced writes serve many
commits instead of two each.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from codeservice.crypto.keyring_file import file_lock
from codeservice.errors import ConfigurationError

SESSION_INFO_KEY = "codeservice.audit_anchor"  # where a database session finds the file


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
        self._temporary = path.with_name(f".{path.name}.tmp")

    def __repr__(self) -> str:
        return f"AnchorFile({str(self.path)!r})"

    def read(self) -> str | None:
        """The file's text, or None if there is no file."""
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise AnchorFileError(f"cannot read the audit anchor {self.path}: {reason}") from None

    def compare_and_write(self, decide: Callable[[str | None], str | None]) -> bool:
        """Under the lock: ``decide(current text)`` gives the new text, or None to keep it."""
        with self._locked():
            new = decide(self.read())
            if new is None:
                return False
            self._write(new.encode("utf-8"))
            return True

    def _write(self, data: bytes) -> None:
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

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        folder = self.path.parent
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
        with file_lock(self.path):
            yield
