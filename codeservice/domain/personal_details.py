"""Spotting personal details in free text, so that they are refused before they are kept.

Annex B says "Do not include personal details about any member of staff": free text
holding an e-mail address, a UK phone number or a National Insurance number is refused,
and the refusal names the KIND found — never the value, which must not reach a log or
an error message either.
"""

from __future__ import annotations

import re
from enum import StrEnum

PERSONAL_DETAILS_WARNING = "Do not include personal details about any member of staff"


class PersonalDetail(StrEnum):
    EMAIL = "email address"
    PHONE = "phone number"
    NATIONAL_INSURANCE = "National Insurance number"


_EMAIL = re.compile(r"[\w.%+'-]+\s?@\s?[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")

# HMRC's format: two prefix letters, six digits, a suffix A–D (often left off), written
# with or without spaces. The first letter is never D, F, I, Q, U or V; the second never
# D, F, I, O, Q, U or V; BG, GB, KN, NK, NT, TN and ZZ are never allocated. QQ breaks
# those rules but is the prefix HMRC prints on specimen numbers ("QQ 12 34 56 C"): it is
# refused too, since whoever types one is typing a National Insurance number.
_NINO = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z])\s?([A-Za-z])[\s-]?(\d{2})[\s-]?(\d{2})[\s-]?(\d{2})"
    r"(?:[\s-]?([A-Da-d]))?(?![A-Za-z0-9])"
)
_NINO_FIRST_NEVER = frozenset("DFIQUV")
_NINO_SECOND_NEVER = frozenset("DFIOQUV")
_NINO_PREFIX_NEVER = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_NINO_SPECIMEN = "QQ"

# Digit groups ("+44", "020", "7946", "0958"), joined when only separators lie between.
_DIGIT_GROUP = re.compile(r"\+?\d+")
_PHONE_SEPARATORS = re.compile(r"^[\s().-]{0,3}$")
_UK_AREA_START = frozenset("1235789")  # 01, 02, 03, 05, 07, 08, 09


def find_personal_details(text: str) -> list[PersonalDetail]:
    """The kinds of personal detail ``text`` holds, in a fixed order, each once."""
    found: list[PersonalDetail] = []
    if _EMAIL.search(text):
        found.append(PersonalDetail.EMAIL)
    if _has_uk_phone_number(_EMAIL.sub(" ", text)):
        found.append(PersonalDetail.PHONE)
    if any(_is_nino(match) for match in _NINO.finditer(text)):
        found.append(PersonalDetail.NATIONAL_INSURANCE)
    return found


def personal_details_message(kinds: list[PersonalDetail]) -> str:
    """'Do not include personal details about any member of staff: remove the
    National Insurance number' — the kinds found, never the values."""
    names = [f"the {kind.value}" for kind in kinds]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{PERSONAL_DETAILS_WARNING}: remove {listed}"


def _is_nino(match: re.Match[str]) -> bool:
    typed = match.group(1) + match.group(2)
    if not typed.isupper() and any(not c.isalnum() for c in match.group()):
        return False  # "on 12 04 26" is a date; lower case counts only written solid
    prefix = typed.upper()
    if prefix == _NINO_SPECIMEN:
        return True
    return not (
        prefix[0] in _NINO_FIRST_NEVER
        or prefix[1] in _NINO_SECOND_NEVER
        or prefix in _NINO_PREFIX_NEVER
    )


def _has_uk_phone_number(text: str) -> bool:
    chains: list[list[str]] = []
    previous_end = -1
    for match in _DIGIT_GROUP.finditer(text):
        joined = (
            chains
            and not match.group().startswith("+")
            and _PHONE_SEPARATORS.match(text[previous_end : match.start()])
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
