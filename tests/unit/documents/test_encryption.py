from __future__ import annotations

import re
import struct

import olefile
import pytest

from codeservice.documents import (
    DocumentError,
    DocumentPasswordError,
    build_document,
    decrypt_document,
    encrypt_document,
    encryption_parameters,
    read_access_code,
)
from codeservice.errors import CodeserviceError
from tests.support.documents import SAMPLE

UNLOCK_CODE = "tq7-Vemb-Kc4w-Hh9z"


@pytest.fixture(scope="module")
def plain() -> bytes:
    return build_document(SAMPLE)


@pytest.fixture(scope="module")
def encrypted(plain: bytes) -> bytes:
    return encrypt_document(plain, UNLOCK_CODE)


def _encryption_info(encrypted: bytes) -> tuple[tuple[int, int], str]:
    with olefile.OleFileIO(encrypted) as ole:
        assert ole.exists("EncryptionInfo")
        assert ole.exists("EncryptedPackage")
        info = ole.openstream("EncryptionInfo").read()
    return struct.unpack("<HH", info[:4]), info[8:].decode("utf-8")


def test_the_result_is_an_ole_compound_file(encrypted: bytes) -> None:
    assert olefile.isOleFile(data=encrypted)
    assert not encrypted.startswith(b"PK")  # no longer a readable zip package


def test_it_is_agile_aes_256_sha_512_with_100000_spins(encrypted: bytes) -> None:
    version, descriptor = _encryption_info(encrypted)
    assert version == (4, 4)
    (password_key,) = re.findall(r"<p:encryptedKey [^>]*>", descriptor)
    (key_data,) = re.findall(r"<keyData [^>]*>", descriptor)
    for element in (password_key, key_data):
        assert 'cipherAlgorithm="AES"' in element
        assert 'keyBits="256"' in element
        assert 'hashAlgorithm="SHA512"' in element
        assert 'cipherChaining="ChainingModeCBC"' in element
    assert 'spinCount="100000"' in password_key


def test_the_parameters_read_back_as_required(encrypted: bytes) -> None:
    parameters = encryption_parameters(encrypted)
    assert parameters.version == (4, 4)
    assert (parameters.cipher, parameters.key_bits) == ("AES", 256)
    assert parameters.hash_algorithm == "SHA512"
    assert parameters.spin_count == 100_000
    assert parameters.package == ("AES", 256, "SHA512")


def test_the_unlock_code_opens_it_to_the_same_document(plain: bytes, encrypted: bytes) -> None:
    decrypted = decrypt_document(encrypted, UNLOCK_CODE)
    assert decrypted == plain
    assert read_access_code(decrypted) == SAMPLE.access_code


@pytest.mark.parametrize(
    "wrong",
    [
        "tq7-Vemb-Kc4w-Hh9y",
        UNLOCK_CODE.swapcase(),
        UNLOCK_CODE.upper(),
        UNLOCK_CODE.lower(),
        UNLOCK_CODE[:-1],
        "",
    ],
)
def test_any_other_unlock_code_is_refused(encrypted: bytes, wrong: str) -> None:
    with pytest.raises(DocumentPasswordError) as raised:
        decrypt_document(encrypted, wrong)
    assert isinstance(raised.value, CodeserviceError)
    message = str(raised.value)
    assert UNLOCK_CODE not in message and SAMPLE.access_code not in message
    if wrong:
        assert wrong not in message


def test_neither_code_can_be_found_in_the_encrypted_bytes(encrypted: bytes) -> None:
    for secret in (SAMPLE.access_code, UNLOCK_CODE):
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in encrypted
    assert SAMPLE.provider_name.encode() not in encrypted


def test_each_encryption_is_salted_afresh(plain: bytes, encrypted: bytes) -> None:
    again = encrypt_document(plain, UNLOCK_CODE)
    assert again != encrypted
    assert decrypt_document(again, UNLOCK_CODE) == plain


def test_an_empty_unlock_code_is_refused(plain: bytes) -> None:
    with pytest.raises(DocumentError):
        encrypt_document(plain, "")


def test_decrypting_a_plain_document_is_refused_as_not_protected(plain: bytes) -> None:
    with pytest.raises(DocumentError, match="not password protected") as raised:
        decrypt_document(plain, UNLOCK_CODE)
    assert not isinstance(raised.value, DocumentPasswordError)


def test_decrypting_rubbish_is_refused_clearly() -> None:
    with pytest.raises(DocumentError) as raised:
        decrypt_document(b"\x00" * 600, UNLOCK_CODE)
    assert not isinstance(raised.value, DocumentPasswordError)


def test_the_parameters_of_a_plain_document_are_refused(plain: bytes) -> None:
    with pytest.raises(DocumentError):
        encryption_parameters(plain)
