"""Reading a register file: a stream (a pipe) is read no further than the limit."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from codeservice.domain.register import RegisterLimits
from codeservice.errors import InputError
from codeservice.services.register.providers import read_register_file


def test_a_pipe_over_the_limit_is_refused_as_more_than_the_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "register.csv"
    os.mkfifo(fifo)

    def write() -> None:
        try:
            with fifo.open("wb") as pipe:
                pipe.write(b"x" * 5000)
        except BrokenPipeError:  # the reader stopped at the limit, as it should
            pass

    writer = threading.Thread(target=write)
    writer.start()
    with pytest.raises(InputError) as caught:
        read_register_file(fifo, RegisterLimits(max_bytes=1000))
    writer.join()
    assert str(caught.value).startswith(f"{fifo} is more than 1,000 bytes; a register import")
