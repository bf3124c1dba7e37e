"""The keys of ``sign_in_throttles`` rows: HMACs under the keyring's fingerprint key, so
the table never holds a typed name or a client address."""

from __future__ import annotations

from codeservice.bootstrap import Container

NAME = "name"
PAIR = "pair"
ADDRESS = "address"


def throttle_key(container: Container, kind: str, value: str) -> bytes:
    return container.keyring.fingerprint(f"codeservice/v1/sign-in-throttle/{kind}/{value}")


def name_key(container: Container, name: str) -> bytes:
    return throttle_key(container, NAME, name)
