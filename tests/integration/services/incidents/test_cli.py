"""The incident commands of the CLI."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from codeservice.bootstrap import Container
from codeservice.errors import InputError
from codeservice.storage.models import AccessCode
from tests.conftest import Cli

# --- the CLI (real clock) -----------------------------------------------------------


def test_the_cli_records_lists_shows_and_decides(live: Cli, container: Container) -> None:
    today = container.now().astimezone(container.settings.tz).date().isoformat()
    recorded = live(
        "incidents",
        "record",
        "--provider",
        "PRV001",
        "--date",
        today,
        "--reason",
        "dismissed",
        "--details",
        "A team leader who knew the code was dismissed.",
    )
    assert recorded.exit_code == 0, recorded.output
    reference = re.search(r"INC-\d{4}-\d{4}", recorded.output).group(0)  # type: ignore[union-attr]

    listed = live("incidents", "list", "--json")
    [entry] = json.loads(listed.output)
    assert (entry["reference"], entry["state"], entry["waited"]) == (
        reference,
        "received",
        "under a minute",
    )
    shown = live("incidents", "show", reference)
    assert "A team leader who knew the code was dismissed." in shown.output

    refused = live("incidents", "decide", reference, "--reason", "why")
    assert refused.exit_code != 0 and "exactly one of --reissue and --no-change" in refused.output

    decided = live("incidents", "decide", reference, "--reissue", "--reason", "Code known")
    assert decided.exit_code == 0, decided.output
    assert "code reissued" in decided.output and "1 code revoked and replaced" in decided.output

    again = live("reissue", "PRV001", "--incident", reference)
    assert again.exit_code == 0, again.output
    assert "was already completed" in again.output
    with container.uow() as uow:
        assert (
            uow.session.scalar(
                select(func.count()).select_from(AccessCode).where(AccessCode.state == "revoked")
            )
            == 1
        )


def test_the_cli_refuses_personal_details_without_echoing_them(live: Cli) -> None:
    result = live(
        "incidents",
        "record",
        "--provider",
        "PRV001",
        "--date",
        "2026-01-05",
        "--reason",
        "other",
        "--details",
        "Their NI number is QQ123456C",
    )
    assert result.exit_code == InputError.exit_code
    assert (
        "Do not include personal details about any member of staff: remove the National "
        "Insurance number" in result.output
    )
    assert "QQ123456C" not in result.output


def test_the_cli_reissues_without_a_report_given_a_reason(live: Cli) -> None:
    missing = live("reissue", "PRV001")
    assert missing.exit_code != 0 and "--reason TEXT" in missing.output
    done = live("reissue", "PRV001", "--reason", "Precaution after a lost laptop")
    assert done.exit_code == 0, done.output
    assert "1 code revoked and replaced, 2 emails queued" in done.output
    wrong = live("reissue", "PRV002", "--incident", "INC-2026-0001")
    assert wrong.exit_code != 0 and "no incident report INC-2026-0001" in wrong.output
