"""Password protection of the document: ECMA-376 agile encryption (§44-45).

Word and LibreOffice open the result with the unlock code. The parameters are AES-256,
SHA-512 and 100,000 spins; msoffcrypto-tool fixes the first two and defaults the third,
so ``encrypt_document`` reads them back from what it wrote, and refuses to hand out a
document protected any less should a new version of the library change them. The
100,000 rounds of the password hash run natively (``spin``).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from xml.etree import ElementTree

import olefile
from cryptography.hazmat.backends import default_backend
from msoffcrypto import exceptions as office_errors
from msoffcrypto.format.ooxml import OOXMLFile

from codeservice.documents import spin
from codeservice.documents.errors import DocumentError, DocumentPasswordError

SPIN_COUNT = 100_000
_KEY_ENCRYPTOR_NS = "{http://schemas.microsoft.com/office/2006/keyEncryptor/password}"
_ENCRYPTION_NS = "{http://schemas.microsoft.com/office/2006/encryption}"


@dataclass(frozen=True)
class EncryptionParameters:
    version: tuple[int, int]  # (4, 4) is agile encryption
    cipher: str
    key_bits: int
    hash_algorithm: str
    spin_count: int
    chaining: str
    package: tuple[str, int, str]  # cipher, key bits and hash of the document itself


REQUIRED = EncryptionParameters(
    version=(4, 4),
    cipher="AES",
    key_bits=256,
    hash_algorithm="SHA512",
    spin_count=SPIN_COUNT,
    chaining="ChainingModeCBC",
    package=("AES", 256, "SHA512"),
)


def encrypt_document(docx: bytes, unlock_code: str) -> bytes:
    if not unlock_code:
        raise DocumentError("An unlock code is needed to protect the document.")
    spin.use_in_msoffcrypto()
    try:
        office_file = OOXMLFile(io.BytesIO(docx))
        output = io.BytesIO()
        office_file.encrypt(unlock_code, output)
    except (office_errors.FileFormatError, office_errors.EncryptionError) as exc:
        raise DocumentError(f"The document could not be encrypted: {exc}") from exc
    encrypted = output.getvalue()
    used = encryption_parameters(encrypted)
    if used != REQUIRED:
        raise DocumentError(
            f"The document was encrypted with {used}, not the required {REQUIRED}; "
            "check the installed msoffcrypto-tool version."
        )
    return encrypted


def load_first_use(docx: bytes) -> None:
    """Load what msoffcrypto-tool loads on its first encryption in a process, without the
    key derivation's 100,000 rounds: the OpenSSL backend (its AES), minidom's expat
    builder (reading ``docx``) and the UTF-16 codec (the password's encoding). For the
    document workers' forkserver, so that each worker does not load them again."""
    default_backend()
    OOXMLFile(io.BytesIO(docx))
    "".encode("UTF-16LE")


def decrypt_document(encrypted: bytes, unlock_code: str) -> bytes:
    spin.use_in_msoffcrypto()
    try:
        office_file = OOXMLFile(io.BytesIO(encrypted))
        if not office_file.is_encrypted():
            raise DocumentError("This document is not password protected.")
        if not unlock_code:
            raise DocumentPasswordError("The unlock code does not open this document.")
        office_file.load_key(password=unlock_code, verify_password=True)
        output = io.BytesIO()
        office_file.decrypt(output, verify_integrity=True)
    except office_errors.InvalidKeyError as exc:
        raise DocumentPasswordError("The unlock code does not open this document.") from exc
    except (office_errors.FileFormatError, office_errors.DecryptionError, OSError) as exc:
        raise DocumentError("This is not a password-protected Word document.") from exc
    return output.getvalue()


def encryption_parameters(encrypted: bytes) -> EncryptionParameters:
    """What protects an encrypted document, read from its ``EncryptionInfo`` stream."""
    if not olefile.isOleFile(data=encrypted):
        raise DocumentError("This is not a password-protected Word document.")
    with olefile.OleFileIO(encrypted) as ole:
        if not ole.exists("EncryptionInfo"):
            raise DocumentError("This document has no encryption information.")
        info = ole.openstream("EncryptionInfo").read()
    major, minor = struct.unpack("<HH", info[:4])
    try:
        # Expat (2.4.1 and later, as Python 3.11 ships) neither fetches external entities
        # nor expands entities without bound, and the stream is a few kilobytes.
        root = ElementTree.fromstring(info[8:])  # noqa: S314
    except ElementTree.ParseError as exc:
        raise DocumentError("This document is not protected with agile encryption.") from exc
    key = root.find(
        f"{_ENCRYPTION_NS}keyEncryptors/{_ENCRYPTION_NS}keyEncryptor/{_KEY_ENCRYPTOR_NS}encryptedKey"
    )
    data = root.find(f"{_ENCRYPTION_NS}keyData")
    if key is None or data is None:
        raise DocumentError("This document is not protected with a password.")
    return EncryptionParameters(
        version=(major, minor),
        cipher=key.get("cipherAlgorithm", ""),
        key_bits=int(key.get("keyBits", "0")),
        hash_algorithm=key.get("hashAlgorithm", ""),
        spin_count=int(key.get("spinCount", "0")),
        chaining=key.get("cipherChaining", ""),
        package=(
            data.get("cipherAlgorithm", ""),
            int(data.get("keyBits", "0")),
            data.get("hashAlgorithm", ""),
        ),
    )
