"""The keyring file: read and checked, written atomically, locked against a second writer.

The format (``codeservice-keyring/1``) is JSON: the sealing keys by id, the current
key's id, the fingerprint and audit keys, all base64. It must be mode 0600; a looser
file is refused, since whoever read it may hold every key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codeservice.errors import ConfigurationError

FILE_FORMAT = "codeservice-keyring/1"
KEY_BYTES = 32
MAX_KEY_ID = 32


class KeyringError(ConfigurationError):
    """The keyring file is missing, readable by others, or damaged."""


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def key_from(path: Path, name: str, value: Any) -> bytes:
    try:
        key = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyringError(
            f"{path}: {name} is not {KEY_BYTES} bytes of base64; restore the file from backup"
        )
    return key


def ensure_folder(folder: Path) -> None:
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)


def read_keyring_file(path: Path) -> tuple[dict[str, bytes], str, bytes, bytes]:
    try:
        info = path.stat()
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KeyringError(
            f"no keyring at {path}; run `codeservice init` to create one, or set "
            "CODESERVICE_MASTER_KEY_FILE to the keyring you have"
        ) from None
    except OSError as exc:
        raise KeyringError(f"cannot read the keyring {path}: {exc.strerror}") from None
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise KeyringError(
            f"the keyring {path} can be read by other users (mode {mode:04o}); "
            f"run `chmod 600 {path}` and check who has seen it"
        )
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        document = None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise KeyringError(f"{path} is not a codeservice keyring; restore it from backup")
    stored = document.get("sealing_keys")
    current = document.get("current_key_id")
    if not isinstance(stored, dict) or not stored or current not in stored:
        raise KeyringError(f"{path}: its sealing keys are incomplete; restore it from backup")
    keys: dict[str, bytes] = {}
    for key_id, value in stored.items():
        if not (0 < len(key_id) <= MAX_KEY_ID and key_id.isascii()):
            raise KeyringError(f"{path}: a sealing key has a bad id; restore it from backup")
        keys[key_id] = key_from(path, f"sealing key {key_id!r}", value)
    fingerprint_key = key_from(path, "fingerprint_key", document.get("fingerprint_key"))
    audit_key = key_from(path, "audit_key", document.get("audit_key"))
    return keys, str(current), fingerprint_key, audit_key


def write_atomically(path: Path, document: dict[str, Any], *, replace: bool) -> bool:
    """Write via a synced temporary file; without ``replace``, never overwrite a keyring."""
    data = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    return write_file_atomically(path, data, replace=replace)


def write_file_atomically(path: Path, data: bytes, *, replace: bool) -> bool:
    """``data`` in a file only its owner can read (0600), through a synced temporary file
    renamed over ``path`` (without ``replace``: linked, never over an existing file),
    then the folder synced. False when ``path`` was there and not ``replace``."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # fails if another process created it first
            except FileExistsError:
                return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return True


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """One writer at a time across processes (two rotations must not lose a key)."""
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
