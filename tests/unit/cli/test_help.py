"""Every command's help reads as prose: each paragraph on one line, for the terminal to
wrap. typer shows a docstring's line breaks as they are, so a summary wrapped to fit the
source used to break mid-sentence in ``codeservice --help``."""

from __future__ import annotations

from typing import Any

import typer
from typer.testing import CliRunner

from codeservice.cli import app


def _commands() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    context = root.make_context("codeservice", ["--help"], resilient_parsing=True)
    found: list[tuple[str, Any]] = []

    def walk(group: Any, path: list[str]) -> None:
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            found.append((" ".join([*path, name]), command))
            if hasattr(command, "list_commands"):
                walk(command, [*path, name])

    walk(root, [])
    return found


def test_every_paragraph_of_every_commands_help_is_one_line() -> None:
    commands = _commands()
    assert len(commands) > 40
    broken = [
        name
        for name, command in commands
        if any("\n" in paragraph for paragraph in (command.help or "").split("\n\n"))
    ]
    assert broken == []
    assert all(command.help for _, command in commands)


def test_a_summary_wrapped_in_the_source_is_whole_in_the_list() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if "│ worker" in line]
    assert len(lines) == 1, result.output
    assert "until SIGTERM or Ctrl-C (alongside any number of others)." in lines[0]
