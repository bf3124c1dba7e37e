from __future__ import annotations

import string

import pytest

from codeservice.domain.phonetic import DIGIT_NAMES, NATO_ALPHABET, spell, spell_character


def test_the_alphabet_has_a_distinct_word_for_every_letter() -> None:
    assert sorted(NATO_ALPHABET) == list(string.ascii_uppercase)
    assert len(set(NATO_ALPHABET.values())) == 26
    assert all(word[0] == letter for letter, word in NATO_ALPHABET.items())


@pytest.mark.parametrize("letter", string.ascii_uppercase)
def test_a_capital_letter_is_called_capital(letter: str) -> None:
    assert spell_character(letter) == f"capital {letter} for {NATO_ALPHABET[letter]}"


@pytest.mark.parametrize("letter", string.ascii_lowercase)
def test_a_small_letter_is_called_lower_case(letter: str) -> None:
    word = NATO_ALPHABET[letter.upper()]
    assert spell_character(letter) == f"lower-case {letter} for {word}"


@pytest.mark.parametrize("digit", string.digits)
def test_a_digit_is_called_a_digit_and_named(digit: str) -> None:
    assert spell_character(digit) == f"digit {digit} ({DIGIT_NAMES[digit]})"


def test_examples_read_as_a_person_would_say_them() -> None:
    assert spell_character("K") == "capital K for Kilo"
    assert spell_character("m") == "lower-case m for Mike"
    assert spell_character("7") == "digit 7 (seven)"
    assert spell_character("x") == "lower-case x for X-ray"
    assert spell_character("0") == "digit 0 (zero)"


def test_spell_numbers_each_character_by_its_position_from_one() -> None:
    assert spell("Km7pQ2xR") == [
        "1: capital K for Kilo",
        "2: lower-case m for Mike",
        "3: digit 7 (seven)",
        "4: lower-case p for Papa",
        "5: capital Q for Quebec",
        "6: digit 2 (two)",
        "7: lower-case x for X-ray",
        "8: capital R for Romeo",
    ]


def test_the_same_letter_in_each_case_is_told_apart() -> None:
    upper, lower = spell("Ww")
    assert upper == "1: capital W for Whiskey"
    assert lower == "2: lower-case w for Whiskey"


@pytest.mark.parametrize("character", ["-", " ", "é", "Ω", "٣", "", "ab"])
def test_anything_else_is_refused_without_repeating_it(character: str) -> None:
    with pytest.raises(ValueError) as raised:
        spell_character(character)
    if character.strip():
        assert character not in str(raised.value)
