from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from codeservice.bootstrap import Container
from tests.conftest import Cli
from tests.support.register import register_snapshot

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "config" / "providers.example.csv"
HEADER = "ref,name,prime_ref,spoc_name,spoc_email\n"
NO_PLAN = {"received": None, "approved": None, "changed": None}  # imported without one


def test_import_the_sample_register_and_report_what_changed(cli: Cli) -> None:
    result = cli("providers", "import", str(SAMPLE))

    assert result.exit_code == 0, result.output
    assert "Imported providers.example.csv" in result.stdout
    assert "providers: 14 added, 0 updated, 0 unchanged, 0 deactivated" in result.stdout
    assert "SPoCs:     15 added, 0 updated, 0 unchanged, 0 deactivated" in result.stdout

    again = cli("providers", "import", str(SAMPLE))

    assert again.exit_code == 0, again.output
    assert "providers: 0 added, 0 updated, 14 unchanged, 0 deactivated" in again.stdout


def test_import_with_prune_deactivates_what_the_file_leaves_out(cli: Cli, tmp_path: Path) -> None:
    cli("providers", "import", str(SAMPLE))
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    smaller = tmp_path / "smaller.csv"
    smaller.write_text("".join(line for line in lines if "PRV008" not in line))

    kept = cli("providers", "import", str(smaller))
    pruned = cli("providers", "import", str(smaller), "--prune")

    assert "2 active providers are not in the file" in kept.stdout
    assert pruned.exit_code == 0, pruned.output
    assert "providers: 0 added, 0 updated, 12 unchanged, 2 deactivated" in pruned.stdout
    assert "SPoCs:     0 added, 0 updated, 12 unchanged, 3 deactivated" in pruned.stdout
    listed = json.loads(cli("providers", "list", "--json").stdout)
    assert {"PRV008", "SUB801"}.isdisjoint(entry["ref"] for entry in listed)
    everything = json.loads(cli("providers", "list", "--json", "--all").stdout)
    (prv008,) = [entry for entry in everything if entry["ref"] == "PRV008"]
    assert prv008["active"] is False
    assert [spoc["active"] for spoc in prv008["spocs"]] == [False, False, False]


def test_check_counts_what_an_import_would_change_and_changes_nothing(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    cli("providers", "import", str(SAMPLE))
    before = register_snapshot(container)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    smaller = tmp_path / "smaller.csv"
    smaller.write_text("".join(line for line in lines if "PRV008" not in line))

    checked = cli("providers", "import", str(smaller), "--prune", "--check")

    assert checked.exit_code == 0, checked.output
    assert "Checked smaller.csv" in checked.stdout
    assert "nothing was changed; imported, it would give:" in checked.stdout
    assert "providers: 0 added, 0 updated, 12 unchanged, 2 deactivated" in checked.stdout
    assert register_snapshot(container) == before
    audited = cli("audit", "list", "--json").stdout
    assert "smaller.csv" not in audited
    assert cli("audit", "verify").exit_code == 0


def test_a_bad_csv_prints_every_bad_line_and_changes_nothing(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    cli("providers", "import", str(SAMPLE))
    before = register_snapshot(container)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        (
            HEADER
            + "PRV001,Northfield Employment Services Ltd,,New Person,new@example.org\n"  # 2 fine
            + "PRV002,Harbourside Renamed,,Ann,ann@example.org\n"  # 3 fine alone
            + "PRV002,Harbourside Skills Partnership,,Bob,bob@example\n"  # 4 name + email
            + "SUB999,Ghost Sub,PRV404,,\n"  # 5 unknown prime
            + "SUB998,Chatty Sub,PRV001,Cy,cy@example.org\n"  # 6 SPoC on subcontractor
            + "PRV009,Too Few\n"  # 7 field count
        )
        .replace("\n", "\r\n")
        .encode()
    )

    result = cli("providers", "import", str(bad), "--prune")

    assert result.exit_code != 0
    assert "Traceback" not in result.output
    bad_lines = [line for line in result.stderr.splitlines() if line.startswith(f"{bad}:")]
    assert [line.split(":")[1] for line in bad_lines] == ["4", "4", "5", "6", "7"]
    assert f"{bad}:4: ref 'PRV002' is named 'Harbourside Skills Partnership' here" in result.stderr
    assert "but 'Harbourside Renamed' on line 3" in result.stderr
    assert "nothing was imported" in result.stderr
    assert register_snapshot(container) == before


def test_a_missing_file_is_reported_without_a_traceback(cli: Cli, tmp_path: Path) -> None:
    result = cli("providers", "import", str(tmp_path / "missing.csv"))

    assert result.exit_code != 0
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.output


def test_list_json_shape(cli: Cli, tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text(
        HEADER
        + "PRV001,Northfield Ltd,,Ann Lee,ann@example.org\n"
        + "PRV001,Northfield Ltd,,Bob Ray,bob@example.org\n"
        + "SUB101,Riverside Trust,PRV001,,\n"
    )
    cli("providers", "import", str(register))

    result = cli("providers", "list", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "ref": "PRV001",
            "name": "Northfield Ltd",
            "prime_ref": None,
            "active": True,
            "spocs": [
                {"name": "Ann Lee", "email": "ann@example.org", "active": True},
                {"name": "Bob Ray", "email": "bob@example.org", "active": True},
            ],
            "subcontractors": ["SUB101"],
            "security_plan": NO_PLAN,
        },
        {
            "ref": "SUB101",
            "name": "Riverside Trust",
            "prime_ref": "PRV001",
            "active": True,
            "spocs": [],
            "security_plan": NO_PLAN,
            "subcontractors": [],
        },
    ]


def test_list_as_a_table_and_find(cli: Cli) -> None:
    cli("providers", "import", str(SAMPLE))

    table = cli("providers", "list")
    found = cli("providers", "find", "harbour", "--json")

    assert table.exit_code == 0, table.output
    assert "PRV001" in table.stdout and "Northfield" in table.stdout
    assert "SUB101" in table.stdout
    assert [entry["ref"] for entry in json.loads(found.stdout)] == ["PRV002", "SUB201"]


def test_a_control_character_is_refused_naming_file_line_and_field(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    register = tmp_path / "bell.csv"
    register.write_text(
        HEADER
        + "PRV001,North\x07field,,Ann Lee,ann@example.org\n"
        + "PRV002,Harbour,,Bo\x1bb,bob@example.org\n",
        encoding="utf-8",
    )
    before = register_snapshot(container)

    result = cli("providers", "import", str(register))

    assert result.exit_code == 65
    assert f"{register}:2: name contains a control character, U+0007" in result.stderr
    assert f"{register}:3: spoc_name contains a control character, U+001B" in result.stderr
    assert "Traceback" not in result.output
    assert register_snapshot(container) == before


def test_a_formula_like_name_is_imported_with_a_warning(cli: Cli, tmp_path: Path) -> None:
    register = tmp_path / "formula.csv"
    register.write_text(HEADER + "PRV001,=HYPERLINK(1),,Ann Lee,ann@example.org\n")

    result = cli("providers", "import", str(register))

    assert result.exit_code == 0, result.output
    assert f"warning: {register}:2: name starts with '='" in result.stderr
    assert "providers: 1 added" in result.stdout


def test_a_register_over_the_size_limit_is_refused_before_it_is_read(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as file:  # sparse: 60 MB that cost no disk
        file.write(HEADER.encode())
        file.truncate(60_000_000)
    before = register_snapshot(container)

    result = cli("providers", "import", str(huge))

    assert result.exit_code == 65
    assert f"{huge} is 60.0 MB; a register import takes at most 5.0 MB" in result.stderr
    assert register_snapshot(container) == before


def test_the_line_limit_is_a_setting(cli: Cli, tmp_path: Path) -> None:
    cli.env["CODESERVICE_REGISTER_MAX_LINES"] = "10"
    register = tmp_path / "long.csv"
    register.write_text(SAMPLE.read_text(encoding="utf-8"))

    result = cli("providers", "import", str(register))

    assert result.exit_code == 65
    assert "has 22 lines; a register import takes at most 10" in result.stderr


def test_a_register_read_from_a_pipe_is_named_by_its_path(cli: Cli, tmp_path: Path) -> None:
    """``providers import <(...)`` hands over /dev/fd/63: the report says that, not "63"."""
    pipe = tmp_path / "register-pipe"
    os.mkfifo(pipe)

    def feed() -> None:
        with pipe.open("wb") as writer:
            writer.write(SAMPLE.read_bytes())

    feeder = threading.Thread(target=feed)
    feeder.start()
    result = cli("providers", "import", str(pipe))
    feeder.join(timeout=10)

    assert result.exit_code == 0, result.output
    assert f"Imported {pipe}" in result.stdout.replace("\n", "")
    assert "providers: 14 added" in result.stdout
