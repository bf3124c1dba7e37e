"""Which loop runs the password hash's rounds (``spin``): ``_spin`` (C, OpenSSL's
SHA-512, built by setup.py at install) when it was built and loads, else pure Python.

Apart from ``spin``, which loads msoffcrypto-tool to plug the loop into it, so that a
rotation's main process can say which one its document workers use without loading
the library only they use (~7 ms of CPU, ~20 ms where nothing loaded cryptography).
"""

from __future__ import annotations

from collections.abc import Callable


def _load_native() -> Callable[[bytes, int], bytes] | None:
    try:
        from codeservice.documents._spin import iterated_sha512
    except ImportError:  # no compiler or no libssl-dev at install: the Python loop
        return None
    return iterated_sha512


native = _load_native()

IMPLEMENTATION = "native (OpenSSL SHA-512)" if native else "pure Python (_sha512)"
