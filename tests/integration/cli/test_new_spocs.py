"""``codeservice providers new-spocs``: who has not had the codes in use, and sending them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from codeservice.bootstrap import Container
from tests.conftest import Cli
from tests.integration.web.links import outbox_rows

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "config" / "providers.example.csv"
NADIA = "nadia.khan@example.org"
HINT = "1 SPoC has not had the codes in use; send them with: codeservice providers new-spocs --send"


@pytest.fixture
def april(cli: Cli) -> Iterator[Cli]:
    """Thursday 1 April 2027: the sample register imported and April's codes issued."""
    with time_machine.travel(datetime(2027, 4, 1, 9, 30, tzinfo=UTC)):
        imported = cli("providers", "import", str(SAMPLE))
        assert imported.exit_code == 0, imported.output
        assert "new-spocs" not in imported.stdout  # no code issued yet: nobody to send to
        rotated = cli("rotate", "2027-04", "--workers", "1")
        assert rotated.exit_code == 0, rotated.output
        yield cli


def add_nadia(cli: Cli, tmp_path: Path) -> str:
    register = tmp_path / "register.csv"
    register.write_text(
        SAMPLE.read_text(encoding="utf-8")
        + f"PRV001,Northfield Employment Services Ltd,,Nadia Khan,{NADIA},,,\n",
        encoding="utf-8",
    )
    result = cli("providers", "import", str(register))
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def test_the_import_says_who_is_waiting_and_the_command_to_run(april: Cli, tmp_path: Path) -> None:
    output = add_nadia(april, tmp_path)

    assert "SPoCs:     1 added" in output
    assert output.splitlines()[-1] == HINT


def test_the_list_shows_who_is_waiting(april: Cli, tmp_path: Path) -> None:
    assert "Nobody is waiting" in april("providers", "new-spocs").stdout
    add_nadia(april, tmp_path)

    table = april("providers", "new-spocs")
    one = april("providers", "new-spocs", "--provider", "PRV001", "--cycle", "2027-04")
    listed = april("providers", "new-spocs", "--json")

    assert table.exit_code == 0, table.output
    assert NADIA in table.stdout and "PRV001" in table.stdout and "2027-04" in table.stdout
    assert "Send them with: codeservice providers new-spocs --send" in table.stdout
    assert "new-spocs --cycle 2027-04 --provider PRV001 --send" in one.stdout
    (entry,) = json.loads(listed.stdout)
    assert entry == {
        "provider_ref": "PRV001",
        "provider_name": "Northfield Employment Services Ltd",
        "cycle": "2027-04",
        "document_ref": entry["document_ref"],
        "code_state": "issued",
        "spoc_id": entry["spoc_id"],
        "spoc_name": "Nadia Khan",
        "spoc_email": NADIA,
    }
    assert entry["document_ref"].startswith("PD-2027-04-PRV001-")


def test_send_queues_email_1_once(april: Cli, container: Container, tmp_path: Path) -> None:
    add_nadia(april, tmp_path)

    sent = april("providers", "new-spocs", "--send")
    again = april("providers", "new-spocs", "--send")
    as_json = json.loads(april("providers", "new-spocs", "--send", "--json").stdout)

    assert sent.exit_code == 0, sent.output
    assert "Email 1 queued for 1 SPoC; 15 already had the codes in use." in sent.stdout
    assert NADIA in sent.stdout and "codeservice mail send" in sent.stdout
    assert again.exit_code == 0, again.output
    assert "Nobody is waiting: 16 SPoCs already had the codes in use" in again.stdout
    assert as_json == {"sent": [], "needed_nothing": 16}
    assert "Nobody is waiting" in april("providers", "new-spocs").stdout
    to_nadia = [kind for _, to, kind in outbox_rows(container) if to == NADIA]
    assert to_nadia == ["access-code-document"]


def test_bad_filters_are_refused_with_a_message(april: Cli) -> None:
    unknown = april("providers", "new-spocs", "--provider", "NOPE9", "--send")
    subcontractor = april("providers", "new-spocs", "--provider", "SUB101")
    bad_cycle = april("providers", "new-spocs", "--cycle", "2027-13")

    assert unknown.exit_code != 0
    assert "no provider with ref 'NOPE9' is on the register" in unknown.stderr
    assert subcontractor.exit_code != 0 and "use --provider PRV001" in subcontractor.stderr
    assert bad_cycle.exit_code != 0 and "'2027-13' is not a cycle" in bad_cycle.stderr
    for result in (unknown, subcontractor, bad_cycle):
        assert "Traceback" not in result.output
