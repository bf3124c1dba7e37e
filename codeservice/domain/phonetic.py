"""Spelling a case-sensitive code out loud: one line per character, saying its case.

The words are the NATO/ICAO spelling alphabet (hence "Alfa" and "Juliett"), so that a
SPoC reading the document and a caller reading a character to a Provider Direct agent
use the same words.
"""

from __future__ import annotations

NATO_ALPHABET: dict[str, str] = {
    "A": "Alfa",
    "B": "Bravo",
    "C": "Charlie",
    "D": "Delta",
    "E": "Echo",
    "F": "Foxtrot",
    "G": "Golf",
    "H": "Hotel",
    "I": "India",
    "J": "Juliett",
    "K": "Kilo",
    "L": "Lima",
    "M": "Mike",
    "N": "November",
    "O": "Oscar",
    "P": "Papa",
    "Q": "Quebec",
    "R": "Romeo",
    "S": "Sierra",
    "T": "Tango",
    "U": "Uniform",
    "V": "Victor",
    "W": "Whiskey",
    "X": "X-ray",
    "Y": "Yankee",
    "Z": "Zulu",
}

DIGIT_NAMES: dict[str, str] = {
    "0": "zero",
    "1": "one",
    "2": "two",
    "3": "three",
    "4": "four",
    "5": "five",
    "6": "six",
    "7": "seven",
    "8": "eight",
    "9": "nine",
}


def spell_character(character: str) -> str:
    """``"K"`` -> ``"capital K for Kilo"``; ``"m"`` -> ``"lower-case m for Mike"``;
    ``"7"`` -> ``"digit 7 (seven)"``."""
    if len(character) == 1 and character in DIGIT_NAMES:
        return f"digit {character} ({DIGIT_NAMES[character]})"
    word = NATO_ALPHABET.get(character.upper()) if len(character) == 1 else None
    if word is None or not character.isascii():
        # The message never repeats the character: it may be part of a secret.
        raise ValueError("only the letters A to Z, in either case, and 0 to 9 can be spelt")
    if character.isupper():
        return f"capital {character} for {word}"
    return f"lower-case {character} for {word}"


def spell(code: str) -> list[str]:
    """One line per character, numbered by position from 1: ``"1: capital K for Kilo"``."""
    return [f"{position}: {spell_character(ch)}" for position, ch in enumerate(code, start=1)]
