"""Output piped to a reader that stops early (``codeservice providers list | head``)."""

from __future__ import annotations

import errno

import pytest
import typer

from codeservice.cli import _Group


def test_a_reader_that_stops_early_ends_the_command_quietly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = typer.Typer(cls=_Group, add_completion=False, pretty_exceptions_enable=False)

    @app.command()
    def listing() -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    @app.command()
    def other() -> None:  # two commands, so that each is named as in the service's
        pass

    with pytest.raises(SystemExit) as exited:
        app(["listing"])
    assert exited.value.code == 1  # as any command whose reader went away
    assert "error" not in capsys.readouterr().err
