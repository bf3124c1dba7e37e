"""§17–18 on the command line: the import records the security plan dates (or refuses
the file, naming file and line), and the rotation says which providers got no code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import time_machine
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.storage.models import Provider
from tests.conftest import Cli
from tests.support.register import register_snapshot

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "config" / "providers.example.csv"
APRIL_FIRST = datetime(2027, 4, 1, 9, 30, tzinfo=UTC)
PLAN_COLUMNS = "security_plan_received,security_plan_approved,security_plan_changed"


def plans(container: Container) -> dict[str, tuple[date | None, date | None, date | None]]:
    with container.uow() as uow:
        return {
            p.ref: (
                p.security_plan_received_on,
                p.security_plan_approved_on,
                p.security_plan_changed_on,
            )
            for p in uow.session.scalars(select(Provider))
        }


def test_a_bad_plan_date_is_named_with_file_and_line_and_nothing_changes(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    register = tmp_path / "plans.csv"
    register.write_text(
        f"ref,name,prime_ref,spoc_name,spoc_email,{PLAN_COLUMNS}\n"
        "PRV001,Northfield,,Ann Lee,ann@example.org,2026-13-01,,\n"
        "PRV002,Harbour,,Bob Ray,bob@example.org,2026-03-02,2026-02-27,\n",
        encoding="utf-8",
    )
    before = register_snapshot(container)

    with time_machine.travel(APRIL_FIRST):
        result = cli("providers", "import", str(register))

    assert result.exit_code == 65
    assert f"{register}: 2 problems found; nothing was imported" in result.stderr
    assert f"{register}:2: security_plan_received '2026-13-01' is not a date" in result.stderr
    assert (
        f"{register}:3: security_plan_approved 2026-02-27 is before security_plan_received "
        "2026-03-02"
    ) in result.stderr
    assert "Traceback" not in result.output
    assert register_snapshot(container) == before


def test_import_records_plans_and_new_providers_without_dates_are_not_approved(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    without = tmp_path / "without.csv"
    without.write_text(
        "ref,name,prime_ref,spoc_name,spoc_email\n"
        "PRV001,Northfield,,Ann Lee,ann@example.org\n"
        "PRV002,Harbour,,Bob Ray,bob@example.org\n",
        encoding="utf-8",
    )
    with_plans = tmp_path / "with.csv"
    with_plans.write_text(
        f"ref,name,prime_ref,spoc_name,spoc_email,{PLAN_COLUMNS}\n"
        "PRV001,Northfield,,Ann Lee,ann@example.org,2026-01-05,2026-02-02,\n"
        "PRV002,Harbour,,Bob Ray,bob@example.org,,,\n",
        encoding="utf-8",
    )
    with time_machine.travel(APRIL_FIRST):
        assert cli("providers", "import", str(without)).exit_code == 0
        assert plans(container) == {"PRV001": (None,) * 3, "PRV002": (None,) * 3}

        applied = cli("providers", "import", str(with_plans))
        assert "providers: 0 added, 1 updated, 1 unchanged" in applied.stdout
        approved = (date(2026, 1, 5), date(2026, 2, 2), None)
        assert plans(container) == {"PRV001": approved, "PRV002": (None,) * 3}

        # A file without the columns leaves the recorded plans as they are.
        assert cli("providers", "import", str(without)).exit_code == 0
        assert plans(container)["PRV001"] == approved

        listed = cli("providers", "list")
    assert "approved 2026-02-02" in listed.stdout
    assert "none received" in listed.stdout


def test_rotate_says_which_providers_have_no_approved_plan(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    pennine = "daniel.hughes@example.net,2023-01-16,2023-02-13,"
    assert pennine in text
    register = tmp_path / "providers.csv"
    register.write_text(text.replace(pennine, "daniel.hughes@example.net,,,"), encoding="utf-8")

    with time_machine.travel(APRIL_FIRST):
        assert cli("providers", "import", str(register)).exit_code == 0
        result = cli("rotate", "2027-04", "--workers", "1")
        status = cli("status", "2027-04")

    assert result.exit_code == 0, result.output
    assert "7 codes issued now" in result.stdout
    assert "PRV003 was not issued: no approved security plan" in result.stdout
    assert "not issued: no" in status.stdout  # PRV003's problem cell (wrapped)
