"""E-mail addresses as the register gives them: checked by syntax, domain lower-cased (pure)."""

from __future__ import annotations

import re

MAX_EMAIL_LENGTH = 254

_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TOP_LEVEL = re.compile(r"[A-Za-z]{2,63}")


def normalise_email(text: str) -> str | None:
    """The address with its domain lower-cased, or None when it is not a usable address.

    A syntax check only (nothing is looked up): one ``@``, a dot-atom local part and a
    dotted domain of letters, digits and hyphens — what a mail server will accept.
    """
    if len(text) > MAX_EMAIL_LENGTH or text.count("@") != 1:
        return None
    local, domain = text.split("@")
    if not 1 <= len(local) <= 64 or not _LOCAL_PART.fullmatch(local):
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return None
    if not _TOP_LEVEL.fullmatch(labels[-1]):
        return None
    return f"{local}@{domain.lower()}"
