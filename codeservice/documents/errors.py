"""Errors about access-code documents; messages never hold a code or an unlock code."""

from __future__ import annotations

from codeservice.errors import CodeserviceError, InputError


class DocumentError(CodeserviceError):
    """A document could not be built, encrypted, decrypted or read."""


class DocumentPasswordError(DocumentError):
    """The unlock code does not open the document."""


class UnusableText(DocumentError, InputError):
    """Words kept for a provider hold a character a Word document cannot carry."""

    def __init__(self, message: str) -> None:
        InputError.__init__(self, message)
