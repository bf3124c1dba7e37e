"""The native and the pure-Python password hash give msoffcrypto-tool's bytes exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from msoffcrypto.method.ecma376_agile import ECMA376Agile

from codeservice.documents import spin
from codeservice.documents.encryption import SPIN_COUNT

# UTF-16LE cannot encode a lone surrogate; msoffcrypto-tool refuses those too.
passwords = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
salts = st.binary(min_size=0, max_size=64)


def _library(password: str, salt: bytes, spins: int) -> bytes:
    digest: bytes = spin.library_derivation(password, salt, "SHA512", spins).digest()
    return digest


def test_the_native_extension_is_built() -> None:
    assert spin.native_iterated_sha512(b"salt", 1) is not None
    assert spin.IMPLEMENTATION.startswith("native")


@settings(max_examples=150, deadline=None)
@given(password=passwords, salt=salts, spins=st.integers(min_value=0, max_value=600))
def test_native_and_python_are_byte_identical_to_msoffcrypto(
    password: str, salt: bytes, spins: int
) -> None:
    expected = _library(password, salt, spins)
    seed = salt + password.encode("UTF-16LE")
    assert spin.native_iterated_sha512(seed, spins) == expected
    assert spin.python_iterated_sha512(seed, spins) == expected


@settings(max_examples=5, deadline=None)
@given(password=passwords, salt=st.binary(min_size=16, max_size=16))
def test_identical_at_the_full_spin_count(password: str, salt: bytes) -> None:
    expected = _library(password, salt, SPIN_COUNT)
    seed = salt + password.encode("UTF-16LE")
    assert spin.native_iterated_sha512(seed, SPIN_COUNT) == expected
    assert spin.python_iterated_sha512(seed, SPIN_COUNT) == expected


def test_msoffcrypto_uses_it_and_still_gives_its_own_known_key() -> None:
    spin.use_in_msoffcrypto()
    spin.use_in_msoffcrypto()  # once is enough; twice changes nothing
    installed = ECMA376Agile.__dict__["_derive_iterated_hash_from_password"]
    assert installed.__func__ is not spin.library_derivation
    # The example in msoffcrypto-tool's own documentation of makekey_from_password.
    key = ECMA376Agile.makekey_from_password(
        "Password1234_",
        b"Lr]E\xdca\x0f\x93\x94\x12\xa0M\xa7\x91\x04f",
        "SHA512",
        b"\xa1l\xd5\x16Zz\xb9\xd2q\x11>\xd3\x86\xa7\x8c\xf4\x96\x92\xe8\xe5'\xb0\xc5\xfc\x00U"
        b"\xed\x08\x0b|\xb9K",
        100000,
        256,
    )
    assert key == (
        b"@ f\t\xd9\xfa\xad\xf2K\x07j\xeb\xf2\xc45\xb7B\x92\xc8\xb8\xa7\xaa\x81\xbcg\x9b"
        b"\xe8\x97\x11\xb0*\xc2"
    )


def test_other_hash_algorithms_are_left_to_the_library() -> None:
    spin.use_in_msoffcrypto()
    derived = ECMA376Agile._derive_iterated_hash_from_password("pw", b"salt", "SHA256", 10)
    assert derived.digest() == spin.library_derivation("pw", b"salt", "SHA256", 10).digest()
