"""The keyring: the keys that seal secrets at rest, kept in a file outside the database.

The file holds the sealing keys by id (the newest is *current*; older ones stay so that
anything sealed under them still opens after a rotation) and two secrets that never
rotate: the *fingerprint* key (a keyed hash that keeps access codes unique forever
without decrypting history) and the *audit* key (the audit trail's hash-chain key).

A sealed value is an AES-256-GCM envelope that names its key and carries its context
(e.g. provider + cycle + purpose) in the clear, authenticated as associated data.
``open`` insists on the caller's context, so a sealed value moved to another row does
not open; ``reseal`` can move any value to the current key without its owner's help,
which is what ``codeservice keys rotate`` needs. A context is never secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from codeservice.crypto.keyring_file import (
    FILE_FORMAT,
    KEY_BYTES,
    MAX_KEY_ID,
    b64,
    ensure_folder,
    file_lock,
    read_keyring_file,
    write_atomically,
)
from codeservice.errors import CodeserviceError

ENVELOPE_VERSION = 1
NONCE_BYTES = 12
KEY_ID_PREFIX_BYTES = 2 + MAX_KEY_ID  # enough of an envelope to read its key id
_FINGERPRINT_DOMAIN = b"codeservice/v1/fingerprint\x00"
_IDENTITY_DOMAIN = b"codeservice/v1/keyring-identity\x00"
_NOTE = (
    "Secret. Without this file no sealed code can be read and the audit trail cannot be "
    "verified: keep it mode 0600 and back it up apart from the database."
)
_ELSEWHERE = "sealed value belongs elsewhere (another provider, cycle, purpose or message)"
_TAMPERED = "sealed value failed its integrity check (tampered or damaged)"
PURPOSES = frozenset({"access-code", "unlock-code"})


class SealError(CodeserviceError):
    """A sealed value does not open: wrong context, tampered, or sealed under an unknown key."""


def code_context(provider_ref: str, cycle: str, purpose: str) -> bytes:
    """The context that binds a sealed code to one provider, one cycle and one purpose."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    return f"codeservice/v1/{purpose}/{provider_ref}/{cycle}".encode()


def download_context(ticket_digest: bytes) -> bytes:
    """The context that binds a file waiting for its one download to its ticket's digest.

    Its own kind ("download" is not a code purpose), so a sealed code can never be
    opened as a download or the other way round.
    """
    if len(ticket_digest) != 32:
        raise ValueError("a download's context needs the 32-byte digest of its ticket")
    return f"codeservice/v1/download/{ticket_digest.hex()}".encode()


@dataclass(frozen=True)
class _Envelope:
    key_id: str
    context: bytes
    header: bytes
    nonce: bytes
    ciphertext: bytes


def _parse(sealed: bytes) -> _Envelope:
    key_id = key_id_of(sealed)
    id_end = 2 + len(key_id)
    context_end = id_end + 2 + int.from_bytes(sealed[id_end : id_end + 2], "big")
    ciphertext = sealed[context_end + NONCE_BYTES :]
    if len(sealed) < id_end + 2 or len(ciphertext) < 16:  # 16: the GCM tag
        raise SealError("sealed value is damaged (it is cut short)")
    return _Envelope(
        key_id=key_id,
        context=sealed[id_end + 2 : context_end],
        header=sealed[:context_end],
        nonce=sealed[context_end : context_end + NONCE_BYTES],
        ciphertext=ciphertext,
    )


def key_id_of(sealed: bytes) -> str:
    try:
        if sealed[0] != ENVELOPE_VERSION:
            raise SealError(f"sealed value has unknown format version {sealed[0]}")
        key_id = sealed[2 : 2 + sealed[1]].decode("ascii")
    except (IndexError, UnicodeDecodeError):
        key_id = ""
    if not key_id or len(key_id) != sealed[1]:
        raise SealError("sealed value is damaged (its key id cannot be read)")
    return key_id


def _header(key_id: str, context: bytes) -> bytes:
    raw_id = key_id.encode("ascii")
    return (
        bytes([ENVELOPE_VERSION, len(raw_id)]) + raw_id + len(context).to_bytes(2, "big") + context
    )


class Keyring:
    """Sealing keys plus the fingerprint and audit keys; see the module docstring."""

    def __init__(
        self,
        path: Path,
        sealing_keys: dict[str, bytes],
        current_key_id: str,
        fingerprint_key: bytes,
        audit_key: bytes,
    ) -> None:
        self.path = path
        self._sealing_keys = sealing_keys
        self._current = current_key_id
        self._fingerprint_key = fingerprint_key
        self._audit_key = audit_key
        self._signature = self._file_signature()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"Keyring(path={str(self.path)!r}, current_key_id={self._current!r}, "
            f"keys={len(self._sealing_keys)})"
        )

    # --- the file ---------------------------------------------------------------

    @classmethod
    def create_if_missing(cls, path: Path) -> bool:
        """Create a new keyring at ``path``; return False (and change nothing) if one exists."""
        ensure_folder(path.parent)
        if path.exists():
            return False
        first = _new_key_id(set())
        document = {
            "format": FILE_FORMAT,
            "note": _NOTE,
            "current_key_id": first,
            "sealing_keys": {first: b64(secrets.token_bytes(KEY_BYTES))},
            "fingerprint_key": b64(secrets.token_bytes(KEY_BYTES)),
            "audit_key": b64(secrets.token_bytes(KEY_BYTES)),
        }
        return write_atomically(path, document, replace=False)

    @classmethod
    def load(cls, path: Path) -> Keyring:
        return cls(path, *read_keyring_file(path))

    def add_key(self) -> str:
        """Make a new current sealing key and save it; older keys stay so old values open."""
        with self._lock, file_lock(self.path):
            keys, _current, fingerprint_key, audit_key = read_keyring_file(self.path)
            new_id = _new_key_id(set(keys))
            keys[new_id] = secrets.token_bytes(KEY_BYTES)
            document = {
                "format": FILE_FORMAT,
                "note": _NOTE,
                "current_key_id": new_id,
                "sealing_keys": {key_id: b64(key) for key_id, key in keys.items()},
                "fingerprint_key": b64(fingerprint_key),
                "audit_key": b64(audit_key),
            }
            write_atomically(self.path, document, replace=True)
            self._sealing_keys, self._current = keys, new_id
            self._fingerprint_key, self._audit_key = fingerprint_key, audit_key
            self._signature = self._file_signature()
        return new_id

    def _file_signature(self) -> tuple[int, int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def _refresh_if_changed(self) -> None:
        """Pick up a key added by another process (a rotation while this one runs)."""
        if self._file_signature() == self._signature:
            return
        with self._lock:
            loaded = Keyring.load(self.path)
            self._sealing_keys, self._current = loaded._sealing_keys, loaded._current
            self._signature = loaded._signature

    # --- keys -------------------------------------------------------------------

    @property
    def current_key_id(self) -> str:
        return self._current

    @property
    def key_ids(self) -> list[str]:
        return list(self._sealing_keys)

    @property
    def audit_key(self) -> bytes:
        return self._audit_key

    @property
    def identity(self) -> str:
        """Which keyring this is, safe to print: a keyed hash of its two keys that never
        rotate, so it stays the same across ``keys rotate`` and reveals no key."""
        digest = hmac.new(
            self._audit_key, _IDENTITY_DOMAIN + self._fingerprint_key, hashlib.sha256
        ).hexdigest()
        return "-".join(digest[i : i + 4] for i in range(0, 16, 4))

    def fingerprint(self, value: str) -> bytes:
        """A keyed hash (HMAC-SHA256, 32 bytes): equal values give equal fingerprints."""
        message = _FINGERPRINT_DOMAIN + value.encode("utf-8")
        return hmac.new(self._fingerprint_key, message, hashlib.sha256).digest()

    # --- sealing ----------------------------------------------------------------

    def seal(self, plaintext: bytes, *, context: bytes) -> bytes:
        self._refresh_if_changed()
        if len(context) > 0xFFFF:
            raise ValueError("context is too long to seal")
        header = _header(self._current, context)
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = AESGCM(self._sealing_keys[self._current]).encrypt(nonce, plaintext, header)
        return header + nonce + ciphertext

    def open(self, sealed: bytes, *, context: bytes) -> bytes:
        envelope = _parse(sealed)
        if not hmac.compare_digest(envelope.context, context):
            raise SealError(_ELSEWHERE)
        return self._decrypt(envelope)

    def reseal(self, sealed: bytes, context: bytes | None = None) -> bytes:
        """The same value sealed under the current key, keeping its context.

        With ``context``, the value must belong to it (as for ``open``). Returns
        ``sealed`` unchanged when it is already under the current key.
        """
        self._refresh_if_changed()
        envelope = _parse(sealed)
        if context is not None and not hmac.compare_digest(envelope.context, context):
            raise SealError(_ELSEWHERE)
        if envelope.key_id == self._current:
            return sealed
        return self.seal(self._decrypt(envelope), context=envelope.context)

    def key_id_of(self, sealed: bytes) -> str:
        """The id of the key ``sealed`` needs; the first KEY_ID_PREFIX_BYTES are enough."""
        return key_id_of(sealed)

    def _decrypt(self, envelope: _Envelope) -> bytes:
        if envelope.key_id not in self._sealing_keys:
            self._refresh_if_changed()
        key = self._sealing_keys.get(envelope.key_id)
        if key is None:
            raise SealError(
                f"sealed value needs key {envelope.key_id!r}, which is not in {self.path}; "
                "restore the keyring file that holds it from backup"
            )
        try:
            return AESGCM(key).decrypt(envelope.nonce, envelope.ciphertext, envelope.header)
        except InvalidTag:
            raise SealError(_TAMPERED) from None


# --- file helpers -------------------------------------------------------------------


def _new_key_id(taken: set[str]) -> str:
    while True:
        key_id = f"k{len(taken) + 1}-{secrets.token_hex(3)}"
        if key_id not in taken:
            return key_id
