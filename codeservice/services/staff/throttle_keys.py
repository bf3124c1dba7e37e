"""The keys of ``sign_in_throttles`` rows: HMACs under the keyring's fingerprint key, so
the table never holds a typed name or a client address."""

from __future__ import annotations

from codeservice.crypto.keyring import Keyring

NAME = "name"
PAIR = "pair"
ADDRESS = "address"


def throttle_key(keyring: Keyring, kind: str, value: str) -> bytes:
    return keyring.fingerprint(f"codeservice/v1/sign-in-throttle/{kind}/{value}")


def name_key(keyring: Keyring, name: str) -> bytes:
    return throttle_key(keyring, NAME, name)
