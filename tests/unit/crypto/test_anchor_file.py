"""The anchor file's grouped writes: every caller returns with its head (or a newer one)
on disk, and the anchor never moves backwards."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from codeservice.crypto.anchor_file import BLOCK, AnchorFile, AnchorFileError


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


def test_the_anchor_is_one_private_block_rewritten_in_place(tmp_path: Path) -> None:
    anchor = AnchorFile(tmp_path / "anchor")
    assert anchor.advance(1, _forward(1))
    first = (tmp_path / "anchor").stat()
    assert anchor.advance(2, _forward(2))
    second = (tmp_path / "anchor").stat()

    assert first.st_size == second.st_size == BLOCK
    assert second.st_mode & 0o777 == 0o600
    assert second.st_ino == first.st_ino  # written over, not replaced
    assert anchor.read() == "2"


def test_an_anchor_written_before_blocks_is_read_and_then_made_a_block(tmp_path: Path) -> None:
    path = tmp_path / "anchor"
    path.write_text("3\n")  # as every anchor was written before
    path.chmod(0o600)
    anchor = AnchorFile(path)
    assert anchor.read() == "3\n"

    assert anchor.advance(4, _forward(4))

    assert path.stat().st_size == BLOCK
    assert anchor.read() == "4"


def test_an_anchor_others_may_read_is_replaced_whole_and_private_again(tmp_path: Path) -> None:
    path = tmp_path / "anchor"
    anchor = AnchorFile(path)
    assert anchor.advance(1, _forward(1))
    path.chmod(0o644)
    before = path.stat().st_ino

    assert anchor.advance(2, _forward(2))

    assert path.stat().st_mode & 0o777 == 0o600
    assert path.stat().st_ino != before
    assert anchor.read() == "2"


def test_a_reader_never_sees_a_write_half_done(tmp_path: Path) -> None:
    anchor = AnchorFile(tmp_path / "anchor")
    assert anchor.advance(1, _forward(1))
    done = threading.Event()
    seen: list[str | None] = []

    def write() -> None:
        for seq in range(2, 400):
            anchor.compare_and_write(lambda _text, seq=seq: " ".join([str(seq)] * 40))
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    while not done.is_set():
        seen.append(anchor.read())
    writer.join()

    # Each write repeats its number: a torn read would show two numbers.
    numbers = [set((text or "").split()) for text in seen]
    assert all(len(each) == 1 for each in numbers)
    in_order = [int(next(iter(each))) for each in numbers]
    assert in_order == sorted(in_order)


def test_something_else_at_the_anchors_name_is_refused_without_waiting(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "anchor", 0o600)  # opened plainly, a FIFO waits for the other end
    anchor = AnchorFile(tmp_path / "anchor")

    with pytest.raises(AnchorFileError, match="it is not a file"):
        anchor.read()
    with pytest.raises(AnchorFileError, match="it is not a file"):
        anchor.compare_and_write(lambda _text: "1")
    assert not (tmp_path / "anchor").is_file()  # left for ``audit verify`` to report
