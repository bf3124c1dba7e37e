from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from codeservice.crypto.keyring import Keyring, SealError, code_context
from codeservice.crypto.keyring_file import KeyringError
from codeservice.errors import CodeserviceError

CONTEXT = code_context("PRV001", "2027-04", "access-code")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "keyring.json"


@pytest.fixture
def keyring(path: Path) -> Keyring:
    Keyring.create_if_missing(path)
    return Keyring.load(path)


def _secrets_in(path: Path) -> list[bytes]:
    import base64

    document = json.loads(path.read_text())
    values = [
        *document["sealing_keys"].values(),
        document["fingerprint_key"],
        document["audit_key"],
    ]
    return [base64.b64decode(v) for v in values]


def test_seal_and_open_round_trip(keyring: Keyring) -> None:
    sealed = keyring.seal(b"aB3dEf7h", context=CONTEXT)

    assert keyring.open(sealed, context=CONTEXT) == b"aB3dEf7h"
    assert b"aB3dEf7h" not in sealed
    assert keyring.key_id_of(sealed) == keyring.current_key_id


def test_sealing_twice_gives_different_envelopes(keyring: Keyring) -> None:
    assert keyring.seal(b"same", context=CONTEXT) != keyring.seal(b"same", context=CONTEXT)


def test_open_refuses_another_context(keyring: Keyring) -> None:
    sealed = keyring.seal(b"aB3dEf7h", context=CONTEXT)

    for other in (
        code_context("PRV002", "2027-04", "access-code"),
        code_context("PRV001", "2027-05", "access-code"),
        code_context("PRV001", "2027-04", "unlock-code"),
    ):
        with pytest.raises(SealError):
            keyring.open(sealed, context=other)


def test_open_refuses_any_tampered_byte(keyring: Keyring) -> None:
    sealed = keyring.seal(b"aB3dEf7h", context=CONTEXT)

    for position in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[position] ^= 0x01
        with pytest.raises(SealError):
            keyring.open(bytes(tampered), context=CONTEXT)


def test_open_refuses_a_cut_short_value(keyring: Keyring) -> None:
    sealed = keyring.seal(b"aB3dEf7h", context=CONTEXT)

    for length in range(len(sealed)):
        with pytest.raises(SealError):
            keyring.open(sealed[:length], context=CONTEXT)


def test_open_refuses_a_value_sealed_under_an_unknown_key(tmp_path: Path, keyring: Keyring) -> None:
    other_path = tmp_path / "other" / "keyring.json"
    Keyring.create_if_missing(other_path)
    sealed = Keyring.load(other_path).seal(b"aB3dEf7h", context=CONTEXT)

    with pytest.raises(SealError, match="not in"):
        keyring.open(sealed, context=CONTEXT)


def test_seal_errors_hold_no_secret(keyring: Keyring, path: Path) -> None:
    sealed = keyring.seal(b"aB3dEf7h", context=CONTEXT)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])

    with pytest.raises(SealError) as caught:
        keyring.open(tampered, context=CONTEXT)

    assert isinstance(caught.value, CodeserviceError)
    message = str(caught.value).encode()
    assert b"aB3dEf7h" not in message
    for secret in _secrets_in(path):
        assert secret not in message
        assert secret.hex().encode() not in message


def test_repr_holds_no_key_material(keyring: Keyring, path: Path) -> None:
    shown = repr(keyring)
    document = json.loads(path.read_text())
    for value in [*document["sealing_keys"].values(), document["audit_key"]]:
        assert value not in shown


def test_the_identity_names_the_keyring_across_rotations_and_reveals_no_key(
    keyring: Keyring, path: Path, tmp_path: Path
) -> None:
    identity = keyring.identity
    assert len(identity) == 19 and identity.count("-") == 3
    keyring.add_key()
    assert keyring.identity == identity == Keyring.load(path).identity
    other = tmp_path / "other" / "keyring.json"
    Keyring.create_if_missing(other)
    assert Keyring.load(other).identity != identity
    document = json.loads(path.read_text())
    for value in [*document["sealing_keys"].values(), document["audit_key"]]:
        assert value not in identity
    for secret in _secrets_in(path):
        assert secret.hex()[:8] not in identity.replace("-", "")


def test_file_is_private(keyring: Keyring, path: Path) -> None:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_load_refuses_a_file_others_can_read(keyring: Keyring, path: Path) -> None:
    path.chmod(0o644)

    with pytest.raises(KeyringError, match="chmod 600") as caught:
        Keyring.load(path)

    assert str(path) in str(caught.value)


def test_load_of_a_missing_file_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="codeservice init"):
        Keyring.load(tmp_path / "nowhere.json")


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b"[]", b'{"format": "codeservice-keyring/1"}', b"\xff\xfe"],
)
def test_load_refuses_bad_content(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "keyring.json"
    path.write_bytes(content)
    path.chmod(0o600)

    with pytest.raises(KeyringError, match="restore it from backup"):
        Keyring.load(path)


def test_load_refuses_a_short_key_without_showing_it(keyring: Keyring, path: Path) -> None:
    document = json.loads(path.read_text())
    document["audit_key"] = "c2hvcnQta2V5"  # "short-key"
    path.write_text(json.dumps(document))

    with pytest.raises(KeyringError, match="audit_key") as caught:
        Keyring.load(path)

    assert "c2hvcnQta2V5" not in str(caught.value)


def test_create_if_missing_is_idempotent(path: Path) -> None:
    assert Keyring.create_if_missing(path) is True
    first = path.read_bytes()

    assert Keyring.create_if_missing(path) is False
    assert path.read_bytes() == first
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_concurrent_creation_makes_exactly_one_keyring(path: Path) -> None:
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(Keyring.create_if_missing(path)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(True) == 1
    Keyring.load(path)


def test_add_key_keeps_old_keys_readable(keyring: Keyring, path: Path) -> None:
    old_id = keyring.current_key_id
    old = keyring.seal(b"old value", context=CONTEXT)

    new_id = keyring.add_key()

    assert new_id != old_id
    assert keyring.current_key_id == new_id
    reloaded = Keyring.load(path)
    assert reloaded.current_key_id == new_id
    assert set(reloaded.key_ids) == {old_id, new_id}
    assert reloaded.open(old, context=CONTEXT) == b"old value"
    assert reloaded.key_id_of(reloaded.seal(b"x", context=CONTEXT)) == new_id
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_stable_secrets_survive_a_rotation(keyring: Keyring, path: Path) -> None:
    fingerprint = keyring.fingerprint("aB3dEf7h")
    audit_key = keyring.audit_key

    keyring.add_key()
    reloaded = Keyring.load(path)

    assert reloaded.fingerprint("aB3dEf7h") == fingerprint
    assert reloaded.audit_key == audit_key


def test_fingerprint_is_keyed(keyring: Keyring, tmp_path: Path) -> None:
    other_path = tmp_path / "other.json"
    Keyring.create_if_missing(other_path)
    other = Keyring.load(other_path)

    assert len(keyring.fingerprint("aB3dEf7h")) == 32
    assert keyring.fingerprint("aB3dEf7h") == keyring.fingerprint("aB3dEf7h")
    assert keyring.fingerprint("aB3dEf7h") != keyring.fingerprint("aB3dEf7H")
    assert keyring.fingerprint("aB3dEf7h") != other.fingerprint("aB3dEf7h")


def test_a_running_process_sees_a_key_added_by_another(keyring: Keyring, path: Path) -> None:
    other_process = Keyring.load(path)
    new_id = other_process.add_key()
    sealed_by_other = other_process.seal(b"new", context=CONTEXT)

    assert keyring.open(sealed_by_other, context=CONTEXT) == b"new"
    assert keyring.key_id_of(keyring.seal(b"x", context=CONTEXT)) == new_id


def test_reseal_moves_a_value_to_the_current_key(keyring: Keyring) -> None:
    old = keyring.seal(b"value", context=CONTEXT)
    new_id = keyring.add_key()

    resealed = keyring.reseal(old)

    assert keyring.key_id_of(resealed) == new_id
    assert keyring.open(resealed, context=CONTEXT) == b"value"
    assert keyring.reseal(resealed) == resealed
    with pytest.raises(SealError):
        keyring.reseal(old, code_context("PRV002", "2027-04", "access-code"))


def test_no_temporary_files_are_left_behind(keyring: Keyring, path: Path) -> None:
    keyring.add_key()
    keyring.add_key()

    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert os.access(path, os.R_OK)
