"""What the CLI says when something is wrong: each problem once, in the words of the
thing asked for, and no Python warning where a person expected a question."""

from __future__ import annotations

from tests.conftest import ROOT, Cli
from tests.integration.web.staff import PASSWORD

SAMPLE = ROOT / "config" / "providers.example.csv"


def _real_process(cli: Cli) -> Cli:
    """The CLI as a real process (no terminal) running this checkout's code."""
    return Cli({**cli.env, "PYTHONPATH": str(ROOT)}, cli.cwd)


def test_incidents_record_names_each_problem_once_with_its_option(cli: Cli) -> None:
    assert cli("providers", "import", str(SAMPLE)).exit_code == 0
    result = cli(
        "incidents",
        "record",
        "--provider",
        "PRV001",
        "--date",
        "2027-13-01",
        "--reason",
        "bad",
        "--details",
        "call 07700 900123",
    )
    assert result.exit_code == 65
    lines = result.stderr.splitlines()
    assert lines[0] == "error: the report was not recorded; nothing was changed"
    assert lines[1:] == [
        "--date: Date of the change of circumstances must be a real date",
        "--reason: Select the reason for the report",
        "--details: Do not include personal details about any member of staff: "
        "remove the phone number",
    ]
    for problem in ("must be a real date", "Select the reason", "remove the phone number"):
        assert result.stderr.count(problem) == 1, problem


def test_tokens_name_what_they_take_a_token_name_not_a_username(cli: Cli) -> None:
    for args in (("tokens", "revoke", "Bad Name!"), ("tokens", "create", "x", "--role", "agent")):
        result = cli(*args)
        assert result.exit_code == 65, result.output
        assert "is not a usable token name" in result.stderr
        assert "username" not in result.stderr


def test_users_add_reads_a_piped_password_without_a_getpass_warning(cli: Cli) -> None:
    real = _real_process(cli)
    piped = real.run_process("users", "add", "kim", "--role", "agent", input=PASSWORD + "\n")
    assert piped.returncode == 0, piped.stderr
    assert "Added staff account kim (agent)." in piped.stdout
    assert "Warning" not in piped.stderr and "echoed" not in piped.stderr, piped.stderr
    assert PASSWORD not in piped.stdout + piped.stderr

    nothing = real.run_process("users", "add", "lee", "--role", "agent", input="")
    assert nothing.returncode == 65
    assert nothing.stderr.startswith("error: no password given: standard input is not a terminal")
    assert "--password-file" in nothing.stderr
    assert "Warning" not in nothing.stderr and "Traceback" not in nothing.stderr


def test_a_second_piped_line_must_match_the_first(cli: Cli) -> None:
    differ = _real_process(cli).run_process(
        "users", "add", "kim", "--role", "agent", input=f"{PASSWORD}\nsomething else\n"
    )
    assert differ.returncode == 65
    assert "the two passwords do not match" in differ.stderr
