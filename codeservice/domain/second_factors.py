"""Second factors for staff: the rules, pure (randomness is injected, ``now`` is passed).

* **Authenticator app (TOTP, RFC 6238)**: 6 digits, a 30-second time step. A code is
  accepted for the step before, the step of ``now`` and the step after (a clock a little
  off), and only for a step later than the last one used with that key: a code seen once
  (over a shoulder, by a proxy) cannot be used again.
* **Recovery codes**: ten at a time, each 10 characters from an alphabet without
  look-alikes (about 50 bits), shown as two groups of five; each works once. They are
  typed, so case, spaces and hyphens do not matter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from random import Random

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
TOTP_WINDOW = 1  # steps either side of now
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefhjkmnprstuvwxy345678"  # the unlock codes' look-alike-free letters
RECOVERY_GROUP = 5
RECOVERY_LENGTH = 2 * RECOVERY_GROUP
MAX_FACTOR_NAME = 60
_TOTP_CODE = re.compile(r"[0-9]{6}")
_SEPARATORS = re.compile(r"[\s\-]+")


class FactorKind(StrEnum):
    TOTP = "totp"
    WEBAUTHN = "webauthn"

    @property
    def label(self) -> str:
        return "Authenticator app" if self is FactorKind.TOTP else "Security key or passkey"


def totp_step(now: datetime) -> int:
    """The RFC 6238 time step ``now`` falls in."""
    return int(now.timestamp()) // TOTP_STEP_SECONDS


def clean_totp_code(typed: str) -> str | None:
    """The 6 digits typed (spaces allowed), or None if it cannot be a code."""
    digits = _SEPARATORS.sub("", typed)
    return digits if _TOTP_CODE.fullmatch(digits) else None


def candidate_steps(now: datetime, last_used_step: int | None) -> list[int]:
    """The steps a code may be for at ``now``: the window, minus every step already used
    (a replay) — so never a step at or before ``last_used_step``."""
    here = totp_step(now)
    steps = range(here - TOTP_WINDOW, here + TOTP_WINDOW + 1)
    return [s for s in steps if last_used_step is None or s > last_used_step]


def matching_step(
    code: str, now: datetime, last_used_step: int | None, code_at: Callable[[int], str]
) -> int | None:
    """The step whose code (``code_at(step)``) is ``code``, among the candidates; every
    candidate is compared, so the time taken does not say which one matched."""
    found = None
    for step in candidate_steps(now, last_used_step):
        if _same(code_at(step), code) and found is None:
            found = step
    return found


def new_recovery_codes(rng: Random, count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """``count`` distinct recovery codes, as shown (``abcde-fhjkm``)."""
    codes: list[str] = []
    while len(codes) < count:
        raw = "".join(rng.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        shown = f"{raw[:RECOVERY_GROUP]}-{raw[RECOVERY_GROUP:]}"
        if shown not in codes:
            codes.append(shown)
    return codes


def clean_recovery_code(typed: str) -> str | None:
    """The code's 10 characters, lower case, without spaces or hyphens; None if what was
    typed cannot be a recovery code."""
    raw = _SEPARATORS.sub("", typed).lower()
    if len(raw) != RECOVERY_LENGTH or any(c not in RECOVERY_ALPHABET for c in raw):
        return None
    return raw


def grouped_key(key: str, size: int = 4) -> str:
    """A base32 key in groups of ``size``, to copy by hand into an app."""
    return " ".join(key[i : i + size] for i in range(0, len(key), size))


def factor_name(typed: str, kind: FactorKind, taken: Iterable[str]) -> str:
    """The name a person gave a factor, tidied, or a default one not yet taken."""
    name = " ".join(typed.split())[:MAX_FACTOR_NAME]
    if name:
        return name
    base = kind.label
    names = set(taken)
    if base not in names:
        return base
    number = 2
    while f"{base} {number}" in names:
        number += 1
    return f"{base} {number}"


def can_remove(factor_count: int) -> bool:
    """A person keeps at least one second factor: the last one cannot be removed."""
    return factor_count > 1


def _same(a: str, b: str) -> bool:
    """Equal strings, compared without stopping at the first difference."""
    if len(a) != len(b):
        return False
    result = 0
    for x, y in zip(a, b, strict=True):
        result |= ord(x) ^ ord(y)
    return result == 0
