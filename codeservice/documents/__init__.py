"""The password-protected Word document that carries an access code (§44-46).

Each name below is imported from its module when first used: building and encrypting
(python-docx, msoffcrypto-tool) cost ~0.2 s of start-up, and a process that only reads
``DocumentContent`` or ``document_filename`` (a rotation's main process, whose workers
build the documents; the web app) need not pay it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codeservice.documents.builder import build_document, read_access_code
    from codeservice.documents.content import DocumentContent, document_filename
    from codeservice.documents.encryption import (
        EncryptionParameters,
        decrypt_document,
        encrypt_document,
        encryption_parameters,
    )
    from codeservice.documents.errors import DocumentError, DocumentPasswordError
    from codeservice.documents.key_derivation import IMPLEMENTATION as KEY_DERIVATION

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Each public name: (its module in this package, its name there).
_HOMES: dict[str, tuple[str, str]] = {
    "DocumentContent": ("content", "DocumentContent"),
    "DocumentError": ("errors", "DocumentError"),
    "DocumentPasswordError": ("errors", "DocumentPasswordError"),
    "EncryptionParameters": ("encryption", "EncryptionParameters"),
    "KEY_DERIVATION": ("key_derivation", "IMPLEMENTATION"),
    "build_document": ("builder", "build_document"),
    "decrypt_document": ("encryption", "decrypt_document"),
    "document_filename": ("content", "document_filename"),
    "encrypt_document": ("encryption", "encrypt_document"),
    "encryption_parameters": ("encryption", "encryption_parameters"),
    "read_access_code": ("builder", "read_access_code"),
}

__all__ = [
    "DOCX_MEDIA_TYPE",
    "DocumentContent",
    "DocumentError",
    "DocumentPasswordError",
    "EncryptionParameters",
    "KEY_DERIVATION",
    "build_document",
    "decrypt_document",
    "document_filename",
    "encrypt_document",
    "encryption_parameters",
    "read_access_code",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home[0]}"), home[1])
    globals()[name] = value  # found once: later uses do not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
