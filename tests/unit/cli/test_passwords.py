"""A password read from a file: its first line, whatever saved it, read no further
than any password can be long."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeservice.cli.passwords import read_password
from codeservice.errors import InputError


def test_a_byte_order_mark_and_a_windows_line_end_are_not_part_of_the_password(
    tmp_path: Path,
) -> None:
    saved = tmp_path / "password.txt"
    saved.write_bytes(b"\xef\xbb\xbfCorrect-Horse-Battery-9\r\nsecond line\r\n")

    assert read_password(saved) == "Correct-Horse-Battery-9"


def test_an_endless_file_is_refused_without_being_read_into_memory() -> None:
    with pytest.raises(InputError, match="is longer than any password can be"):
        read_password(Path("/dev/zero"))


def test_a_file_that_is_not_utf8_is_refused_without_pointing_into_the_password(
    tmp_path: Path,
) -> None:
    saved = tmp_path / "password.txt"
    saved.write_bytes(b"Correct\xffHorse-Battery-9\n")

    with pytest.raises(InputError) as refused:
        read_password(saved)

    assert str(refused.value) == f"the password file {saved} is not UTF-8 text; save it as UTF-8"
