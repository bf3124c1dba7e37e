"""What goes into one provider's access-code document, and how its facts are written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from codeservice.documents.errors import UnusableText
from codeservice.domain.text import unusable_character
from codeservice.domain.wording import cycle_label, day_text, moment_text

# The document is read by providers across the UK: dates are always UK local time,
# whatever zone the caller's datetimes are in.
UK_TIME = ZoneInfo("Europe/London")

_CYCLE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
PROPERTY_MAX_LENGTH = 255  # characters in a Word document's title, subject, keywords…
# The words a document carries that came from people, and how to name each in an error.
_TYPED_FIELDS = (
    ("provider_name", "provider name"),
    ("provider_ref", "provider reference"),
    ("prime_name", "prime provider name"),
    ("reissue_reason", "reissue reason"),
)


@dataclass(frozen=True)
class DocumentContent:
    provider_name: str
    provider_ref: str
    prime_name: str | None  # None: this provider is itself the prime provider
    cycle: str  # "2027-04"
    active_from: datetime
    active_until: datetime
    issued_at: datetime
    access_code: str
    document_ref: str
    reissue_reason: str | None = None  # a short general reason, shown on a reissue only

    def __post_init__(self) -> None:
        if not _CYCLE.fullmatch(self.cycle):
            raise ValueError(f"cycle must look like 2027-04, got {self.cycle!r}")
        for name in ("active_from", "active_until", "issued_at"):
            moment: datetime = getattr(self, name)
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime")
        if self.active_until <= self.active_from:
            raise ValueError("active_until must be after active_from")
        if not self.access_code:
            raise ValueError("the access code is empty")
        if self.reissue_reason is not None and not 0 < len(self.reissue_reason.strip()) <= 200:
            # The document must stay on one page: a reason is a sentence, not a report.
            raise ValueError("a reissue reason must be 1 to 200 characters")

    def check_typed_text(self) -> None:
        """Refuse, naming provider and field, words that XML cannot carry.

        Import and forms refuse such characters; this catches a value kept before they
        did, so that it ends as a message to correct the register, not a traceback.
        """
        for name, label in _TYPED_FIELDS:
            value: str | None = getattr(self, name)
            problem = unusable_character(value) if value is not None else None
            if problem is not None:
                raise UnusableText(
                    f"The {label} of provider {self.provider_ref!r} {problem}: correct it "
                    "in the register (codeservice providers import) and try again"
                )

    @property
    def is_reissue(self) -> bool:
        return self.reissue_reason is not None

    @property
    def cycle_label(self) -> str:
        """'April 2027'."""
        return cycle_label(self.cycle)

    @property
    def cycle_text(self) -> str:
        """'April 2027 (cycle 2027-04)'."""
        return f"{cycle_label(self.cycle)} (cycle {self.cycle})"

    @property
    def active_from_text(self) -> str:
        """'Monday 5 April 2027 at 00:00'."""
        return moment_text(self.active_from, UK_TIME)

    @property
    def active_until_text(self) -> str:
        return moment_text(self.active_until, UK_TIME)

    @property
    def issued_text(self) -> str:
        """'Issued Wednesday 31 March 2027', with ' · reissue' on a reissue."""
        text = f"Issued {day_text(self.issued_at, UK_TIME)}"
        return f"{text} · reissue" if self.is_reissue else text

    @property
    def prime_text(self) -> str:
        if self.prime_name is None:
            return f"{self.provider_name} is the prime provider"
        return self.prime_name

    @property
    def title(self) -> str:
        """The document's title property: names provider and cycle, never the code.

        Word keeps at most 255 characters in a property, and a register name may be as
        long: a longer title ends its provider name with "…" (the page has it whole).
        """
        before, after = "Provider Direct access code: ", f", {cycle_label(self.cycle)}"
        name = self.provider_name
        room = PROPERTY_MAX_LENGTH - len(before) - len(after)
        if len(name) > room:
            name = name[: room - 1].rstrip() + "…"
        return f"{before}{name}{after}"


def document_filename(provider_ref: str, cycle: str) -> str:
    """'provider-direct-access-code-PRV001-2027-04.docx' (safe as an email attachment name)."""
    ref = _FILENAME_UNSAFE.sub("-", provider_ref).strip("-") or "provider"
    cycle_part = _FILENAME_UNSAFE.sub("-", cycle).strip("-")
    return f"provider-direct-access-code-{ref}-{cycle_part}.docx"
