from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from tests.conftest import Cli


def cycles_json(cli: Cli, *args: str) -> dict[str, dict[str, str]]:
    result = cli("cycles", *args, "--json")
    assert result.exit_code == 0, result.output
    found: list[dict[str, str]] = json.loads(result.stdout)
    return {entry["cycle"]: entry for entry in found}


def test_json_lists_every_cycle_with_exact_dates(cli: Cli) -> None:
    found = cycles_json(cli, "--from", "2024-01", "--to", "2031-12")

    assert len(found) == 96
    assert list(found)[0] == "2024-01" and list(found)[-1] == "2031-12"
    assert found["2025-01"] == {
        "cycle": "2025-01",
        "issue_at": "2024-12-24T09:00:00+00:00",
        "active_from": "2024-12-30T00:00:00+00:00",
        "active_until": "2025-02-03T00:00:00+00:00",
    }
    assert found["2027-04"] == {
        "cycle": "2027-04",
        "issue_at": "2027-03-31T09:00:00+01:00",
        "active_from": "2027-04-05T00:00:00+01:00",
        "active_until": "2027-05-03T00:00:00+01:00",
    }
    assert found["2031-01"]["issue_at"] == "2030-12-24T09:00:00+00:00"


def test_table_shows_dates_and_marks_a_moved_issue_day(cli: Cli) -> None:
    result = cli("cycles", "--from", "2024-12", "--to", "2025-02")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    january = next(line for line in lines if "2025-01" in line)
    assert "Tue 24 Dec 2024 09:00" in january
    assert "Mon 30 Dec 2024 00:00" in january
    assert "moved: bank holiday (Christmas Day" in january
    december = next(line for line in lines if "2024-12 " in line)
    assert "moved" not in december
    assert "Europe/London" in result.stdout


def test_holiday_policy_off_issues_on_the_wednesday(cli: Cli) -> None:
    cli.env["CODESERVICE_HOLIDAY_MOVES_ISSUE_DAY"] = "false"

    found = cycles_json(cli, "--from", "2025-01", "--to", "2025-01")
    table = cli("cycles", "--from", "2025-01", "--to", "2025-01").stdout

    assert found["2025-01"]["issue_at"] == "2024-12-25T09:00:00+00:00"
    assert found["2025-01"]["active_from"] == "2024-12-30T00:00:00+00:00"
    assert "issued on a bank holiday" in table
    assert "moved:" not in table


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--from", "2027-13"), "--from"),
        (("--from", "April"), "--from"),
        (("--from", "2027-04", "--to", "2027-4"), "--to"),
        (("--from", "2027-05", "--to", "2027-04"), "--to 2027-04 is before --from 2027-05"),
        (("--from", "2101-02"), "known only for"),
    ],
)
def test_bad_input_is_explained_without_a_traceback(
    cli: Cli, args: tuple[str, ...], named: str
) -> None:
    result = cli("cycles", *args)

    assert result.exit_code != 0
    assert named in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def frozen_at(moment: datetime) -> Any:
    return time_machine.travel(moment, tick=False)


def test_defaults_start_at_the_cycle_in_force_and_show_three(cli: Cli) -> None:
    # Issued Wed 31 Mar but not active until Mon 5 Apr: 2027-03 is still in force.
    with frozen_at(datetime(2027, 4, 2, 12, tzinfo=UTC)):
        assert list(cycles_json(cli)) == ["2027-03", "2027-04", "2027-05"]
    with frozen_at(datetime(2024, 12, 30, 0, tzinfo=UTC)):
        assert list(cycles_json(cli)) == ["2025-01", "2025-02", "2025-03"]
        assert list(cycles_json(cli, "--to", "2025-01")) == ["2025-01"]
    assert list(cycles_json(cli, "--from", "2030-11")) == ["2030-11", "2030-12", "2031-01"]


def test_runs_as_a_real_process(cli: Cli) -> None:
    result = cli.run_process("cycles", "--from", "2027-04", "--to", "2027-04")

    assert result.returncode == 0, result.stderr
    assert "Wed 31 Mar 2027 09:00" in result.stdout
    assert "Mon 5 Apr 2027 00:00" in result.stdout
