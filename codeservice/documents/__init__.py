"""The password-protected Word document that carries an access code (§44-46)."""

from __future__ import annotations

from codeservice.documents.builder import build_document, read_access_code
from codeservice.documents.content import DocumentContent, document_filename
from codeservice.documents.encryption import (
    EncryptionParameters,
    decrypt_document,
    encrypt_document,
    encryption_parameters,
)
from codeservice.documents.errors import DocumentError, DocumentPasswordError
from codeservice.documents.spin import IMPLEMENTATION as KEY_DERIVATION

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

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
