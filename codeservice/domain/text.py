"""Text that people type or import, checked before it is kept (pure).

Everything the service keeps may later go into a Word document (XML 1.0), an email
header or a CSV file. A character that one of them cannot carry is refused where it
comes in — at the import line or the form field — rather than found at 09:00 on issue
day, half-way through a rotation.
"""

from __future__ import annotations

import unicodedata

from codeservice.errors import InputError

# Bidirectional embeddings, overrides and isolates: they reorder what is shown, so a
# name holding one can read as another ("Trojan Source", CVE-2021-42574).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# What ends a line for str.splitlines() and for some email header parsers.
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_MULTILINE_ALLOWED = frozenset("\n\r\t")
# Unicode's default-ignorable code points (DerivedCoreProperties.txt): shown as nothing
# at all, whatever the font, among them the zero-width space, the joiners, the soft
# hyphen, the byte order mark, the Hangul fillers and the variation selectors.
_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_BLANK = "\u2800"  # the braille pattern blank: a symbol, yet an empty cell
# What text copied from a web page, a document or an email brings at its ends unseen:
# the zero-width space, the word joiner, the byte order mark and the soft hyphen.
_STRAY = "\u200b\u2060\ufeff\u00ad"


def _noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def describe(character: str) -> str:
    """``U+0007 (BELL)``: a character named so that a person can find it."""
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X} ({name})" if name else f"U+{ord(character):04X}"


def unusable_character(text: str, *, multiline: bool = False) -> str | None:
    """Why ``text`` cannot be kept, naming its first bad character; None when it can.

    Refused everywhere: control characters, surrogates, Unicode non-characters,
    bidirectional controls, and a value that holds only characters that show nothing
    (a zero-width space alone looks like an empty field but is not). A single-line
    value (a name, an address, a subject) also refuses every line break, so that it
    cannot add a header to an email.
    """
    for position, character in enumerate(text, start=1):
        if multiline and character in _MULTILINE_ALLOWED:
            continue
        if problem := _unusable(character):
            return f"contains {problem}, {describe(character)}, at character {position}"
    unseen = [character for character in text if not character.isspace()]
    if unseen and all(_shows_nothing(character) for character in unseen):
        # Looks empty, yet is not: an invisible subcontractor, name or description.
        return f"contains only characters that do not show, such as {describe(unseen[0])}"
    return None


def _shows_nothing(character: str) -> bool:
    code = ord(character)
    return character == _BLANK or any(low <= code <= high for low, high in _IGNORABLE)


def _unusable(character: str) -> str | None:
    """What kind of unusable character this is; None for one that can be kept."""
    category = unicodedata.category(character)
    if character in _LINE_BREAKS or category in ("Zl", "Zp"):
        return "a line break"
    if category == "Cc":
        return "a control character"
    if category == "Cs":
        return "an unpaired surrogate"
    if _noncharacter(ord(character)):
        return "a Unicode non-character"
    if character in _BIDI_CONTROLS:
        return "a bidirectional control character"
    return None


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: every character ``unusable_character``
    refuses written as its escape (``\\x1b``, ``\\u202e``, ``\\udcff``).

    For text that was never checked — a file name, a path in an OS error — before it
    goes into a message: an escape sequence in a file name must not recolour or retitle
    the terminal, a line break must not fake a second line, and a file name that is
    not UTF-8 (its bytes arrive as lone surrogates) must not make printing it fail.
    """
    if all(character.isprintable() for character in text):
        return text  # the usual case, and no escape to add
    return "".join(
        character.encode("unicode_escape", "backslashreplace").decode("ascii")
        if _unusable(character)
        else character
        for character in text
    )


def check_usable(text: str, *, field: str, label: str, multiline: bool = False) -> str:
    """``text`` unchanged, or ``InputError`` naming ``field`` when it holds a character
    that cannot be kept (``unusable_character``). ``label`` is how a person calls the
    field: "the reason" gives "the reason contains a control character, ...".

    Every use case that keeps or sends free text from a form or an option calls this
    (a multi-line field, such as a description, may hold tabs and line breaks).
    """
    if problem := unusable_character(text, multiline=multiline):
        raise InputError(f"{label} {problem}", field=field)
    return text


def trimmed(text: str) -> str:
    """``text`` without spaces and stray invisible characters (``_STRAY``) at its ends:
    a name pasted with a zero-width space after it looks the same as the name typed,
    so it is kept the same, not as a second, invisibly different name."""
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or text[start] in _STRAY):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _STRAY):
        end -= 1
    return text[start:end]


def composed(text: str) -> str:
    """``text`` in one form (NFC) however its accents were typed or exported: "é" as one
    character or as "e" and a combining accent look the same, so they are kept the same
    — re-importing the same register from another program is no change, and a search
    typed on a keyboard finds a name a spreadsheet saved decomposed."""
    return unicodedata.normalize("NFC", text)


def search_key(text: str) -> str:
    """``text`` folded for matching what a person typed against what is kept: case,
    the way accents were encoded and compatibility forms (full-width letters, ligatures)
    ignored. For comparison only, never for keeping."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def whole_number(text: str, *, max_digits: int = 18) -> int | None:
    """A row id or count as a form sends it: ASCII digits only (``str.isdigit`` also
    takes "²" and "٣", which ``int`` refuses), and short enough for ``int`` to read
    and a database column to hold; None for anything else."""
    if text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    """Would a spreadsheet run this cell as a formula (CSV injection, CWE-1236)?"""
    return text.startswith(FORMULA_PREFIXES)


def spreadsheet_safe(text: str) -> str:
    """A cell value a spreadsheet shows as text: a formula-like value gets a leading ``'``.

    OWASP's advice for CSV injection; the apostrophe is what a spreadsheet itself uses
    to mark a cell as text.
    """
    return f"'{text}" if looks_like_formula(text) else text
