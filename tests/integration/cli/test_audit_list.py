"""``audit list --action PREFIX`` takes the prefix literally and refuses, naming the
option, one that no action could start with, instead of failing in the database."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli

SAMPLE = Path(__file__).resolve().parents[3] / "config" / "providers.example.csv"


def test_the_action_prefix_is_literal_and_checked(cli: Cli) -> None:
    assert cli("providers", "import", str(SAMPLE)).exit_code == 0

    listed = cli("audit", "list", "--action", "register:", "--json")
    wildcard = cli("audit", "list", "--action", "%", "--json")
    one_character = cli("audit", "list", "--action", "_egister:", "--json")
    too_long = cli("audit", "list", "--action", "register:" + "x" * 60_000)
    escape = cli("audit", "list", "--action", "register\x1b[2J")

    assert '"register:import:apply"' in listed.stdout
    assert wildcard.exit_code == 0 and wildcard.stdout.strip() == "[]"
    assert one_character.exit_code == 0 and one_character.stdout.strip() == "[]"
    assert too_long.exit_code == 65
    assert "--action: the action is longer than any action (128 characters)" in too_long.output
    assert escape.exit_code == 65
    assert "--action: the action contains a control character, U+001B" in escape.output
