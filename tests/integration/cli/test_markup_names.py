"""Names are printed as they are: brackets in a provider's name are text, never rich
markup (a style, or a terminal hyperlink to somewhere else)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli

NAME = "Acme [bold]Ltd[/bold] [link=https://example.com/x]here"


def test_a_name_that_looks_like_markup_is_printed_as_written(cli: Cli, tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text(
        f"ref,name,prime_ref,spoc_name,spoc_email\nPRV001,{NAME},,Ann [red]Lee,ann@example.org\n",
        encoding="utf-8",
    )
    assert cli("providers", "import", str(register)).exit_code == 0

    recorded = cli(
        "incidents", "record", "--provider", "PRV001", "--date", "2026-12-01",
        "--reason", "other", "--details", "Left without notice.",
    )  # fmt: skip
    listed = cli("providers", "list")

    assert recorded.exit_code == 0, recorded.output
    assert f"for {NAME} (PRV001)" in recorded.stdout
    assert NAME in listed.stdout and "Ann [red]Lee" in listed.stdout
