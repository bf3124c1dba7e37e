from __future__ import annotations

import math
import re
import string
from collections import Counter
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codeservice.domain.codes import (
    CODE_LENGTH,
    UNLOCK_ALPHABET,
    UNLOCK_CODE_BITS,
    Alphabet,
    check_cycle,
    document_ref,
    generate_access_code,
    generate_unlock_code,
    is_valid_access_code,
    is_valid_unlock_code,
)
from codeservice.errors import InputError

DEFAULT = Alphabet.from_excluded("0Oo1lI")


def seeded(seed: int) -> Random:
    """A reproducible source, so a failing draw can be replayed."""
    return Random(seed)  # noqa: S311


def test_default_alphabet_leaves_out_look_alikes() -> None:
    assert set(DEFAULT.characters).isdisjoint("0Oo1lI")
    assert len(DEFAULT.upper) == 24
    assert len(DEFAULT.lower) == 24
    assert len(DEFAULT.digits) == 8


def test_generated_codes_follow_the_rules() -> None:
    rng = seeded(20270401)
    for _ in range(5000):
        code = generate_access_code(DEFAULT, rng)
        assert len(code) == CODE_LENGTH
        assert not set(code) & set("0Oo1lI")
        assert any(c.isupper() for c in code)
        assert any(c.islower() for c in code)
        assert any(c.isdigit() for c in code)
        assert is_valid_access_code(code, DEFAULT)


def test_codes_come_from_the_system_random_source_by_default() -> None:
    codes = {generate_access_code(DEFAULT) for _ in range(200)}

    assert len(codes) == 200
    assert all(is_valid_access_code(code, DEFAULT) for code in codes)


def test_every_character_appears_in_every_position() -> None:
    rng = seeded(7)
    draws = 20000
    by_position = [Counter[str]() for _ in range(CODE_LENGTH)]
    for _ in range(draws):
        for position, character in enumerate(generate_access_code(DEFAULT, rng)):
            by_position[position][character] += 1

    for counts in by_position:
        assert set(counts) == set(DEFAULT.characters)
        # Each of 56 characters is expected ~357 times; a character drawn at a third of
        # that rate would mean a broken draw, not chance.
        assert min(counts.values()) > draws / len(DEFAULT.characters) / 3


def test_digit_frequency_matches_uniform_sampling_over_valid_codes() -> None:
    # Among valid codes a position holds a digit with a probability fixed by counting;
    # a generator that forced a digit into a fixed slot would be far off it.
    u, lo, d = len(DEFAULT.upper), len(DEFAULT.lower), len(DEFAULT.digits)
    n = u + lo + d

    def valid(upper: int, lower: int, digits: int, length: int) -> int:
        total = upper + lower + digits
        return (
            total**length
            - (total - upper) ** length
            - (total - lower) ** length
            - (total - digits) ** length
            + upper**length
            + lower**length
            + digits**length
        )

    # Codes whose first character is a digit: the rest needs an upper and a lower.
    first_is_digit = d * ((n**7) - (n - u) ** 7 - (n - lo) ** 7 + d**7)
    expected = first_is_digit / valid(u, lo, d, 8)
    rng = seeded(11)
    draws = 20000
    seen = sum(generate_access_code(DEFAULT, rng)[0].isdigit() for _ in range(draws))
    spread = 5 * math.sqrt(draws * expected * (1 - expected))
    assert abs(seen - draws * expected) < spread


def test_custom_exclusions_are_respected() -> None:
    alphabet = Alphabet.from_excluded("ABCDEFGHxyz23 ")
    rng = seeded(3)
    for _ in range(2000):
        assert not set(generate_access_code(alphabet, rng)) & set("ABCDEFGHxyz23")


@pytest.mark.parametrize(
    ("excluded", "missing"),
    [
        (string.digits, "digits"),
        (string.ascii_uppercase, "upper-case"),
        (string.ascii_lowercase + "0", "lower-case"),
    ],
)
def test_an_alphabet_must_keep_every_class(excluded: str, missing: str) -> None:
    with pytest.raises(InputError, match=missing):
        Alphabet.from_excluded(excluded)


def test_an_exclusion_must_be_a_letter_or_digit() -> None:
    with pytest.raises(InputError, match="'!'"):
        Alphabet.from_excluded("0O!")


@given(st.text(max_size=12))
def test_validity_check_agrees_with_the_rules(code: str) -> None:
    expected = (
        len(code) == 8
        and all(c in DEFAULT.characters for c in code)
        and bool(re.search("[A-Z]", code))
        and bool(re.search("[a-z]", code))
        and bool(re.search("[0-9]", code))
    )
    assert is_valid_access_code(code, DEFAULT) is expected


def test_access_code_strength() -> None:
    assert DEFAULT.bits > 45


def test_unlock_code_has_at_least_80_bits() -> None:
    assert UNLOCK_CODE_BITS >= 80
    assert pytest.approx(20 * math.log2(len(UNLOCK_ALPHABET))) == UNLOCK_CODE_BITS


def test_unlock_code_alphabet_has_no_look_alikes() -> None:
    assert set(UNLOCK_ALPHABET).isdisjoint("0o1liI")
    assert UNLOCK_ALPHABET.lower() == UNLOCK_ALPHABET
    assert len(set(UNLOCK_ALPHABET)) == len(UNLOCK_ALPHABET)


def test_unlock_code_format() -> None:
    rng = seeded(5)
    codes = [generate_unlock_code(rng) for _ in range(2000)]

    for code in codes:
        assert re.fullmatch(r"[a-z0-9]{4}(-[a-z0-9]{4}){4}", code)
        assert set(code.replace("-", "")) <= set(UNLOCK_ALPHABET)
        assert is_valid_unlock_code(code)
    assert len(set(codes)) == len(codes)
    assert set("".join(codes).replace("-", "")) == set(UNLOCK_ALPHABET)


def test_document_reference() -> None:
    reference = document_ref("PRV001", "2027-04", seeded(1))

    assert re.fullmatch(r"PD-2027-04-PRV001-[A-Z2-9]{4}", reference)


def test_document_reference_fits_its_column_and_keeps_to_safe_characters() -> None:
    reference = document_ref("acme/north west " * 10, "2027-04", seeded(1))

    assert len(reference) <= 64
    assert re.fullmatch(r"PD-2027-04-[A-Z0-9]+-[A-Z2-9]{4}", reference)


@pytest.mark.parametrize("cycle", ["2027-4", "2027-13", "27-04", "2027-04-01", ""])
def test_a_cycle_must_be_year_and_month(cycle: str) -> None:
    with pytest.raises(InputError):
        check_cycle(cycle)
