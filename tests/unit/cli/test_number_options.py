"""Every whole-number option and argument of every command has both bounds, so that a
slip of the keyboard (``--limit 99999999999999999999``, ``--workers 100000``, ``--port
70000``) is a usage error naming it — never an OverflowError from the database or the
operating system, nor thousands of document processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest
import typer
from typer.testing import CliRunner

from codeservice.cli import app


def _number_parameters() -> list[tuple[list[str], Any]]:
    root = typer.main.get_command(app)
    context = root.make_context("codeservice", ["--help"], resilient_parsing=True)
    found: list[tuple[list[str], Any]] = []

    def walk(group: Any, path: list[str]) -> None:
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            if hasattr(command, "list_commands"):
                walk(command, [*path, name])
                continue
            for parameter in command.params:
                annotation = parameter.type_descriptor.annotation
                if int in (annotation, *get_args(annotation)) and annotation is not bool:
                    found.append(([*path, name], parameter))

    walk(root, [])
    return found


NUMBERS = _number_parameters()


def test_the_commands_have_number_options_to_check() -> None:
    names = {(" ".join(path), parameter.name) for path, parameter in NUMBERS}
    assert {("audit list", "limit"), ("rotate", "workers"), ("mail retry", "ids")} <= names


@pytest.mark.parametrize(
    ("path", "parameter"), NUMBERS, ids=[f"{' '.join(p)} {q.name}" for p, q in NUMBERS]
)
def test_every_number_is_bounded_both_ways(path: list[str], parameter: Any) -> None:
    assert parameter.min is not None and parameter.max is not None


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "list", "--limit", "99999999999999999999"],
        ["mail", "retry", "99999999999999999999"],
        ["rotate", "2027-01", "--workers", "100000"],
        ["web", "--port", "70000"],
    ],
)
def test_an_out_of_range_number_is_a_usage_error_naming_it(args: list[str], tmp_path: Path) -> None:
    # An empty home: were the number let through, the command would find no database.
    result = CliRunner().invoke(app, args, env={"CODESERVICE_HOME": str(tmp_path)})

    assert result.exit_code == 2
    assert "Invalid value for" in result.output and "unexpectedly" not in result.output
