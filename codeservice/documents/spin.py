"""The password hash of agile encryption: 100,000 rounds of SHA-512 (§44).

MS-OFFCRYPTO 2.3.4.11: H0 = SHA-512(salt + password as UTF-16LE), then
Hn = SHA-512(n - 1 as 4 bytes little-endian + Hn-1). msoffcrypto-tool runs the rounds
as a Python loop, most of a document's CPU. ``_spin`` (C, OpenSSL's SHA-512, built by
setup.py at install) runs them natively; when it could not be built, the fastest
pure-Python loop runs instead. ``use_in_msoffcrypto`` is the one place the library is
changed: its derivation function is replaced by one giving byte-identical results.
"""

from __future__ import annotations

import logging
import struct
from _sha512 import sha512  # the built-in, without hashlib's wrapper: the fastest in Python
from functools import cache

from msoffcrypto.method.ecma376_agile import ECMA376Agile

from codeservice.documents.key_derivation import IMPLEMENTATION
from codeservice.documents.key_derivation import native as _native

log = logging.getLogger(__name__)

# msoffcrypto-tool's own derivation, kept to fall back on and to test against.
library_derivation = ECMA376Agile._derive_iterated_hash_from_password


@cache
def _counters(spins: int) -> tuple[bytes, ...]:
    return tuple(struct.pack("<I", n) for n in range(spins))


def python_iterated_sha512(seed: bytes, spins: int) -> bytes:
    """The rounds in pure Python, with the counters' bytes made once per spin count."""
    digest: bytes = sha512(seed).digest()
    for counter in _counters(spins):
        digest = sha512(counter + digest).digest()
    return digest


def native_iterated_sha512(seed: bytes, spins: int) -> bytes | None:
    """The rounds in C, or None when the extension was not built."""
    return _native(seed, spins) if _native else None


def iterated_sha512(seed: bytes, spins: int) -> bytes:
    """``seed`` is the salt followed by the password as UTF-16LE; the final hash."""
    if _native is not None:
        return _native(seed, spins)
    return python_iterated_sha512(seed, spins)


class _Hash:
    """What msoffcrypto-tool's callers use of a hash object: ``digest()``."""

    __slots__ = ("_digest",)

    def __init__(self, digest: bytes) -> None:
        self._digest = digest

    def digest(self) -> bytes:
        return self._digest


def _derive(password: object, salt: object, algorithm: object, spins: object) -> object:
    """A drop-in for ``ECMA376Agile._derive_iterated_hash_from_password``."""
    if (
        algorithm == "SHA512"
        and isinstance(password, str)
        and isinstance(salt, bytes | bytearray)
        and isinstance(spins, int)
        and 0 <= spins <= 0xFFFFFFFF
    ):
        return _Hash(iterated_sha512(bytes(salt) + password.encode("UTF-16LE"), spins))
    return library_derivation(password, salt, algorithm, spins)


def use_in_msoffcrypto() -> None:
    """Make msoffcrypto-tool derive agile-encryption keys here (once per process)."""
    if ECMA376Agile.__dict__["_derive_iterated_hash_from_password"].__func__ is _derive:
        return
    ECMA376Agile._derive_iterated_hash_from_password = staticmethod(_derive)
    log.info("document encryption: key derivation is %s", IMPLEMENTATION)
