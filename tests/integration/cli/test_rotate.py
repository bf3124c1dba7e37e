"""``codeservice rotate``: refusals come before any progress bar; a provider that could
not be issued is listed and the command exits non-zero, the others being issued."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import time_machine
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.storage.models import Provider
from tests.conftest import Cli

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "config" / "providers.example.csv"
APRIL_FIRST = datetime(2027, 4, 1, 9, 30, tzinfo=UTC)


def test_a_refused_cycle_draws_no_progress_bar(cli: Cli) -> None:
    with time_machine.travel(APRIL_FIRST):
        assert cli("providers", "import", str(SAMPLE)).exit_code == 0
        result = cli("rotate", "2027-09", "--workers", "1")
    assert result.exit_code == 75
    assert "more than one cycle ahead" in result.stderr
    assert "Issuing" not in result.stdout and "━" not in result.stdout


def test_a_provider_not_issued_is_listed_and_the_exit_code_says_so(
    cli: Cli, container: Container
) -> None:
    with time_machine.travel(APRIL_FIRST):
        assert cli("providers", "import", str(SAMPLE)).exit_code == 0
        with container.uow() as uow:
            provider = uow.session.scalar(select(Provider).where(Provider.ref == "PRV005"))
            assert provider is not None
            provider.name = "Severn\x1b[31m Bridge"
            uow.commit()
        result = cli("rotate", "2027-04", "--workers", "1")
        status = cli("status", "2027-04")

    assert result.exit_code == 1
    assert "7 codes issued now" in result.stdout
    assert "PRV005 was not issued: its name contains a control character, U+001B" in (result.stderr)
    assert "1 provider not issued" in result.stderr
    assert "Traceback" not in result.output
    assert "not issued:" in status.stdout  # in PRV005's problem cell (wrapped)
    assert "1 provider could not be issued: PRV005" in status.stderr
