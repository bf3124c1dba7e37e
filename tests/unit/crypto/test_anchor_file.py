"""The anchor file's grouped writes: every caller returns with its head (or a newer one)
on disk, and the anchor never moves backwards."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from codeservice.crypto.anchor_file import AnchorFile


def _forward(seq: int) -> Callable[[str | None], str | None]:
    def decide(text: str | None) -> str | None:
        return str(seq) if text is None or int(text) < seq else None

    return decide


def test_each_advance_returns_with_its_head_or_a_newer_one_on_disk(tmp_path: Path) -> None:
    anchor = AnchorFile(tmp_path / "anchor")
    seen: dict[int, int] = {}
    start = threading.Barrier(16)

    def commit(seq: int) -> None:
        start.wait()
        anchor.advance(seq, _forward(seq))
        seen[seq] = int(anchor.read() or 0)

    threads = [threading.Thread(target=commit, args=(seq,)) for seq in range(1, 17)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(on_disk >= seq for seq, on_disk in seen.items())
    assert anchor.read() == "16"


def test_an_older_head_never_moves_the_anchor_back(tmp_path: Path) -> None:
    anchor = AnchorFile(tmp_path / "anchor")
    assert anchor.advance(5, _forward(5))
    assert not anchor.advance(3, _forward(3))
    assert anchor.read() == "5"


def test_a_failed_write_leaves_the_next_caller_to_write_its_own_head(tmp_path: Path) -> None:
    anchor = AnchorFile(tmp_path / "anchor")

    def broken(_text: str | None) -> str | None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        anchor.advance(1, broken)
    assert anchor.advance(2, _forward(2))
    assert anchor.read() == "2"


def test_a_leftover_temporary_file_is_written_over_and_leaves_a_private_anchor(
    tmp_path: Path,
) -> None:
    anchor = AnchorFile(tmp_path / "anchor")
    leftover = tmp_path / ".anchor.tmp"  # a crash between the write and the rename
    leftover.write_text("half a head that went on for longer")
    leftover.chmod(0o644)

    assert anchor.advance(7, _forward(7))

    assert anchor.read() == "7"
    assert (tmp_path / "anchor").stat().st_mode & 0o777 == 0o600
    assert not leftover.exists()


def test_a_link_planted_at_the_temporary_name_is_not_followed(tmp_path: Path) -> None:
    anchor = AnchorFile(tmp_path / "anchor")
    target = tmp_path / "elsewhere"
    target.write_text("untouched")
    (tmp_path / ".anchor.tmp").symlink_to(target)

    with pytest.raises(OSError):
        anchor.advance(1, _forward(1))

    assert target.read_text() == "untouched"
    assert anchor.read() is None
