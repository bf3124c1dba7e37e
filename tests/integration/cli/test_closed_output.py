"""A command run with its standard output closed (``>&-``) says so and exits 74 — no
traceback — and one that shows a secret once makes nothing; one that reads a password
from a closed standard input (``<&-``) says where else to give it."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import Cli


def _closed_stdout() -> None:
    os.close(1)


def test_a_closed_standard_output_is_reported_and_makes_no_token(cli: Cli) -> None:
    for args in (("providers", "list", "--json"), ("tokens", "create", "crm", "--role", "agent")):
        process = cli.popen(*args, stderr=subprocess.PIPE, preexec_fn=_closed_stdout)
        _, errors = process.communicate(timeout=300)

        assert process.returncode == 74, errors
        assert errors.strip() == "error: standard output is closed; nothing could be shown"

    assert "crm" not in cli("tokens", "list", "--all").stdout


def _closed_stdin() -> None:
    os.close(0)


def test_a_password_cannot_come_from_a_closed_standard_input(cli: Cli) -> None:
    process = cli.popen(
        "users", "add", "ann", "--role", "bmt", stderr=subprocess.PIPE, preexec_fn=_closed_stdin
    )
    _, errors = process.communicate(timeout=300)

    assert process.returncode == 65, errors
    assert errors.strip() == (
        "error: no password given: standard input is closed; use --password-file FILE"
    )
