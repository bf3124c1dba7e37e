"""A file name is the operator's, never checked: whatever it holds, a command names
it printably — no escape sequence reaches the terminal — and a name that is not UTF-8
does not stop an import that is otherwise good."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli

GOOD = "ref,name,prime_ref,spoc_name,spoc_email\nPRV001,Northfield Ltd,,Priya Raman,p@example.org\n"


def test_a_good_register_whose_file_name_is_not_utf8_is_imported(cli: Cli, tmp_path: Path) -> None:
    register = tmp_path / "register-\udcff.csv"  # the byte 0xFF, as Linux hands it over
    register.write_text(GOOD, encoding="utf-8")

    result = cli("providers", "import", str(register))

    assert result.exit_code == 0, result.output
    assert "Imported " in result.stdout and "register-\\udcff.csv" in result.stdout
    assert "PRV001" in cli("providers", "list").stdout


def test_an_escape_sequence_in_a_file_name_is_shown_not_sent(cli: Cli, tmp_path: Path) -> None:
    name = "evil\x1b[31m\x1b]0;owned\x07.csv"
    empty = tmp_path / name
    empty.write_text("", encoding="utf-8")
    good = tmp_path / f"good-{name}"
    good.write_text(GOOD, encoding="utf-8")

    refused = cli("providers", "import", str(empty))
    missing = cli("providers", "import", str(tmp_path / "gone" / name))
    imported = cli("providers", "import", str(good))
    backed_up = cli("backup", str(tmp_path / f"backup-{name}"))

    assert refused.exit_code == 65 and missing.exit_code == 65
    assert imported.exit_code == 0 and backed_up.exit_code == 0, backed_up.output
    for result in (refused, missing, imported, backed_up):
        assert "\x1b" not in result.output and "\x07" not in result.output
        assert "evil\\x1b[31m\\x1b]0;owned\\x07.csv" in result.output
    assert "evil\\x1b[31m\\x1b]0;owned\\x07.csv:1: the file is empty" in refused.output


def test_init_names_an_odd_home_as_it_is_written(app_env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "home\x1b[31m [bold]x"
    env = {**app_env, "CODESERVICE_HOME": str(home)}
    env["CODESERVICE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.db'}"

    result = Cli(env, tmp_path)("init")

    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "home\\x1b[31m [bold]x/keys/keyring.json" in result.output
