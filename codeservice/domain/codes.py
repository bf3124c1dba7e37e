"""Access codes, unlock codes and document references (pure; randomness is injected).

An access code (§44, §47) is 8 case-sensitive characters from letters and digits minus
those confused on the phone or on paper, with at least one upper-case letter, one
lower-case letter and one digit. It is drawn uniformly among all such codes: draw 8
characters uniformly, and draw again when a class is missing (rejection sampling keeps
every valid code equally likely).

The unlock code opens the Word document; it is typed from an email, so it uses
lower-case letters and digits that cannot be mistaken for each other, in groups of 4.
"""

from __future__ import annotations

import math
import re
import secrets
import string
from dataclasses import dataclass
from enum import StrEnum
from random import Random

from codeservice.errors import InputError

CODE_LENGTH = 8
DEFAULT_EXCLUDED = "0Oo1lI"

# Lower-case letters and digits without i l o 0 1 (look alike), g q 9 (alike in
# handwriting and some fonts) and z 2 (alike when written).
UNLOCK_ALPHABET = "abcdefhjkmnprstuvwxy345678"
UNLOCK_GROUPS = 5
UNLOCK_GROUP_LENGTH = 4
UNLOCK_CODE_BITS = UNLOCK_GROUPS * UNLOCK_GROUP_LENGTH * math.log2(len(UNLOCK_ALPHABET))

# Document references are read aloud and typed: upper case and digits, no look-alikes.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_REFERENCE_SUFFIX = 4
_REFERENCE_PROVIDER_MAX = 32
_CYCLE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

SYSTEM_RANDOM = secrets.SystemRandom()


class CodeState(StrEnum):
    """Where an access code is in its life.

    Issued on the cycle's issue Wednesday; active from its Monday; retired when the
    next cycle's code becomes active; revoked at once by a reissue (§ Annex B).
    """

    ISSUED = "issued"
    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


# A code that has not been retired or revoked: it is, or will be, the one in force.
STANDING = frozenset({CodeState.ISSUED, CodeState.ACTIVE})


@dataclass(frozen=True)
class Alphabet:
    """The characters an access code may use, by class."""

    upper: str
    lower: str
    digits: str

    @classmethod
    def from_excluded(cls, excluded: str = DEFAULT_EXCLUDED) -> Alphabet:
        """Letters and digits minus ``excluded`` (whitespace in it is ignored)."""
        wanted = set(excluded) - set(string.whitespace)
        strange = sorted(wanted - set(string.ascii_letters + string.digits))
        if strange:
            raise InputError(
                f"code_excluded_characters: {strange[0]!r} is not a letter or digit; "
                "list only letters and digits to leave out of access codes"
            )
        alphabet = cls(
            upper="".join(c for c in string.ascii_uppercase if c not in wanted),
            lower="".join(c for c in string.ascii_lowercase if c not in wanted),
            digits="".join(c for c in string.digits if c not in wanted),
        )
        for name, characters in (
            ("upper-case letters", alphabet.upper),
            ("lower-case letters", alphabet.lower),
            ("digits", alphabet.digits),
        ):
            if not characters:
                raise InputError(
                    f"code_excluded_characters leaves no {name}, but every access code "
                    f"needs one; exclude fewer characters"
                )
        return alphabet

    @property
    def characters(self) -> str:
        return self.upper + self.lower + self.digits

    @property
    def bits(self) -> float:
        """Entropy of a code: log2 of the number of valid codes."""
        return math.log2(_count_valid_codes(len(self.upper), len(self.lower), len(self.digits)))


def _count_valid_codes(upper: int, lower: int, digits: int) -> int:
    # Inclusion-exclusion over the classes that may be missing.
    n = upper + lower + digits
    count: int = (
        n**CODE_LENGTH
        - (n - upper) ** CODE_LENGTH
        - (n - lower) ** CODE_LENGTH
        - (n - digits) ** CODE_LENGTH
        + upper**CODE_LENGTH
        + lower**CODE_LENGTH
        + digits**CODE_LENGTH
    )
    return count


def is_valid_access_code(code: str, alphabet: Alphabet) -> bool:
    allowed = set(alphabet.characters)
    return (
        len(code) == CODE_LENGTH
        and all(c in allowed for c in code)
        and any(c in alphabet.upper for c in code)
        and any(c in alphabet.lower for c in code)
        and any(c in alphabet.digits for c in code)
    )


def generate_access_code(alphabet: Alphabet, rng: Random = SYSTEM_RANDOM) -> str:
    characters = alphabet.characters
    while True:
        code = "".join(rng.choice(characters) for _ in range(CODE_LENGTH))
        if is_valid_access_code(code, alphabet):
            return code


def generate_unlock_code(rng: Random = SYSTEM_RANDOM) -> str:
    """E.g. ``"kx7m-ap4t-rw3e-nh8c-yd6s"`` (5 groups of 4, about 94 bits)."""
    return "-".join(
        "".join(rng.choice(UNLOCK_ALPHABET) for _ in range(UNLOCK_GROUP_LENGTH))
        for _ in range(UNLOCK_GROUPS)
    )


def is_valid_unlock_code(value: str) -> bool:
    groups = value.split("-")
    return len(groups) == UNLOCK_GROUPS and all(
        len(group) == UNLOCK_GROUP_LENGTH and all(c in UNLOCK_ALPHABET for c in group)
        for group in groups
    )


def check_cycle(cycle: str) -> str:
    if not _CYCLE.fullmatch(cycle):
        raise InputError(f"cycle {cycle!r} is not shaped YYYY-MM (for example 2027-04)")
    return cycle


def document_ref(provider_ref: str, cycle: str, rng: Random = SYSTEM_RANDOM) -> str:
    """A non-secret reference printed on the document, e.g. ``PD-2027-04-PRV001-7KQ3``."""
    provider = re.sub(r"[^A-Z0-9]+", "", provider_ref.upper())[:_REFERENCE_PROVIDER_MAX]
    suffix = "".join(rng.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_SUFFIX))
    return f"PD-{check_cycle(cycle)}-{provider or 'X'}-{suffix}"
