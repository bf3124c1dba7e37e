"""Spotting personal details in free text, so that they are refused before they are kept.

Annex B says "Do not include personal details about any member of staff": free text
holding an e-mail address, a UK phone number or a National Insurance number is refused,
and the refusal names the KIND found — never the value, which must not reach a log or
an error message either.

People type these any way they like: ``ab 12 34 56 c``, ``Ab-12-34-56-C``,
``AB.12.34.56.C``, ``+44 (0)20 7946-0958`` with a non-breaking space, full-width
digits. So the text is first folded to one plain form (``_plain``) and the patterns
then allow separators anywhere a person might put them.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

PERSONAL_DETAILS_WARNING = "Do not include personal details about any member of staff"


class PersonalDetail(StrEnum):
    EMAIL = "email address"
    PHONE = "phone number"
    NATIONAL_INSURANCE = "National Insurance number"


_EMAIL = re.compile(
    r"[\w.%+'-]+\s{0,2}(?:@|[(\[]at[)\]])\s{0,2}[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b",
    re.IGNORECASE,
)

# HMRC's format: two prefix letters, six digits, a suffix A–D (often left off), written
# with or without spaces. The first letter is never D, F, I, Q, U or V; the second never
# D, F, I, O, Q, U or V; BG, GB, KN, NK, NT, TN and ZZ are never allocated. QQ breaks
# those rules but is the prefix HMRC prints on specimen numbers ("QQ 12 34 56 C"): it is
# refused too, since whoever types one is typing a National Insurance number.
_SEP = r"[\s.,:;/\\_|-]{0,3}"
_NINO = re.compile(
    rf"(?<![A-Za-z0-9])([A-Za-z]){_SEP}([A-Za-z])({_SEP})"
    rf"([0-9]){_SEP}([0-9])({_SEP})([0-9]){_SEP}([0-9])({_SEP})([0-9]){_SEP}([0-9])(?![0-9])"
    rf"(?:{_SEP}([A-Da-d]))?(?![A-Za-z0-9])"
)
_RUNS_ON = re.compile(r"[.,:/-][0-9]")
_NINO_FIRST_NEVER = frozenset("DFIQUV")
_NINO_SECOND_NEVER = frozenset("DFIOQUV")
_NINO_PREFIX_NEVER = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_NINO_SPECIMEN = "QQ"

# Digit groups ("+44", "020", "7946", "0958"), joined when only separators lie between.
_DIGIT_GROUP = re.compile(r"\+?\d+")
# "01-03-2027" and "09:30" are a date and a time, not the start of a phone number.
_DATE_OR_TIME = re.compile(
    r"(?<![0-9])(?:(?:0?[1-9]|[12][0-9]|3[01])([/.-])(?:0?[1-9]|1[0-2])\1(?:19|20)[0-9]{2}"
    r"|(?:[01]?[0-9]|2[0-3]):[0-5][0-9])(?![0-9])"
)
_UK_AREA_START = frozenset("1235789")  # 01, 02, 03, 05, 07, 08, 09


def find_personal_details(text: str) -> list[PersonalDetail]:
    """The kinds of personal detail ``text`` holds, in a fixed order, each once."""
    plain = _plain(text)
    found: list[PersonalDetail] = []
    if _EMAIL.search(plain):
        found.append(PersonalDetail.EMAIL)
    if _has_uk_phone_number(_DATE_OR_TIME.sub(" ", _EMAIL.sub(" ", plain))):
        found.append(PersonalDetail.PHONE)
    if any(_is_nino(match) for match in _NINO.finditer(plain)):
        found.append(PersonalDetail.NATIONAL_INSURANCE)
    return found


def personal_details_message(kinds: list[PersonalDetail]) -> str:
    """'Do not include personal details about any member of staff: remove the
    National Insurance number' — the kinds found, never the values."""
    names = [f"the {kind.value}" for kind in kinds]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{PERSONAL_DETAILS_WARNING}: remove {listed}"


def _plain(text: str) -> str:
    """One form for the ways the same characters are typed: full-width and other
    compatibility forms folded (NFKC), every space a space, every dash a hyphen, and
    invisible format characters (zero-width space, soft hyphen) dropped."""
    folded = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    for ch in folded:
        category = unicodedata.category(ch)
        if category == "Cf":
            continue
        if category == "Zs" or ch in "\t\r\n\f\v":
            out.append(" ")
        elif category == "Pd" or ch == "\u2212":  # dashes, and the minus sign
            out.append("-")
        elif category == "Nd" and not ch.isascii():
            out.append(str(unicodedata.digit(ch)))
        else:
            out.append(ch)
    return "".join(out)


def _is_nino(match: re.Match[str]) -> bool:
    prefix = (match.group(1) + match.group(2)).upper()
    if prefix != _NINO_SPECIMEN and (
        prefix[0] in _NINO_FIRST_NEVER
        or prefix[1] in _NINO_SECOND_NEVER
        or prefix in _NINO_PREFIX_NEVER
    ):
        return False
    return not _reads_as_a_word_and_a_date(match)


def _reads_as_a_word_and_a_date(match: re.Match[str]) -> bool:
    """'at 12.04.26' or 'on 2027-04-06' is a word and a date or a reference, not a
    number: lower case, set apart from the digits, no suffix letter, and the digits
    make a day and a month (or a year and a month) or run on into more digits. A
    number in capitals, one written solid and one with its suffix letter is always a
    National Insurance number."""
    if match.group(1).isupper() and match.group(2).isupper():
        return False
    if match.group(12) is not None or not match.group(3):
        return False
    if _RUNS_ON.match(match.string, match.end()):
        return True
    if not match.group(9):
        return False
    pairs = [int(match.group(i) + match.group(i + 1)) for i in (4, 7, 10)]
    day_month = bool(match.group(6)) and 1 <= pairs[0] <= 31 and 1 <= pairs[1] <= 12
    year_month = pairs[0] in (19, 20) and 1 <= pairs[2] <= 12
    return day_month or year_month


def _has_uk_phone_number(text: str) -> bool:
    chains: list[list[str]] = []
    previous_end = -1
    for match in _DIGIT_GROUP.finditer(text):
        joined = (
            chains
            and not match.group().startswith("+")
            and _joins_phone_digits(text[previous_end : match.start()])
        )
        if joined:
            chains[-1].append(match.group())
        else:
            chains.append([match.group()])
        previous_end = match.end()
    for groups in chains:
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if _is_uk_phone_number(digits):
                    return True
                if len(digits) > 16:
                    break
    return False


def _joins_phone_digits(between: str) -> bool:
    """Spaces, brackets and dashes ("020 7946", "(020) 7946", "07700 - 900"), a few."""
    marks = sum(ch in "().-" for ch in between)
    spaces = sum(ch in " \t" for ch in between)
    return marks + spaces == len(between) and marks <= 3 and spaces <= 4


def _is_uk_phone_number(digits: str) -> bool:
    """A whole UK number: 0 and 9–10 digits, or +44 / 0044 and the same without the 0."""
    for prefix in ("+44", "0044"):
        if digits.startswith(prefix):
            national = digits[len(prefix) :]
            national = national[1:] if national.startswith("0") else national
            return _national_number(national)
    if digits.startswith("0") and not digits.startswith("00"):
        return _national_number(digits[1:])
    return False


def _national_number(digits: str) -> bool:
    return digits.isdigit() and len(digits) in (9, 10) and digits[0] in _UK_AREA_START
