"""Errors about access-code documents; messages never hold a code or an unlock code."""

from __future__ import annotations

from codeservice.errors import CodeserviceError


class DocumentError(CodeserviceError):
    """A document could not be built, encrypted, decrypted or read."""


class DocumentPasswordError(DocumentError):
    """The unlock code does not open the document."""
