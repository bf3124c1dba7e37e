"""Every CLI option that stores free text refuses what no document, email header or
CSV cell can carry: it names the option's field, exits non-zero and changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from codeservice.bootstrap import Container
from codeservice.storage.models import AuditRecord, IncidentReport, StaffUser
from tests.conftest import Cli
from tests.integration.services.incidents.support import live  # noqa: F401 (a fixture)
from tests.integration.web.staff import PASSWORD


def _count(container: Container, model: type) -> int:
    with container.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def test_users_add_refuses_a_display_name_with_a_control_character(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    password = tmp_path / "password.txt"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    args = ["users", "add", "ann", "--role", "bmt", "--password-file", str(password)]

    result = cli(*args, "--display-name", "Ann\x1b[2J Lee")
    too_long = cli(*args, "--display-name", "A" * 300)

    assert result.exit_code == 65
    assert "--display-name: the display name contains a control character, U+001B, at " in (
        result.stderr
    )
    assert too_long.exit_code == 65 and "255 characters or fewer" in too_long.stderr
    assert _count(container, StaffUser) == 0


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--details", "Left\x07 without notice", "Description contains a control character"),
        ("--subcontractor", "Sub\u202eLtd", "Subcontractor organisation contains a bidi"),
    ],
)
def test_incidents_record_refuses_unusable_characters(
    live: Cli,  # noqa: F811
    container: Container,
    option: str,
    value: str,
    message: str,
) -> None:
    before = _count(container, AuditRecord)
    args = {"--details": "Left without notice.", "--subcontractor": "", option: value}
    result = live(
        "incidents",
        "record",
        "--provider",
        "PRV001",
        "--date",
        "2026-01-05",
        "--reason",
        "other",
        *[part for item in args.items() for part in item],
    )
    assert result.exit_code == 65
    assert message in result.output
    assert _count(container, IncidentReport) == 0 and _count(container, AuditRecord) == before


def test_a_multi_line_description_is_still_accepted(live: Cli, container: Container) -> None:  # noqa: F811
    today = container.now().astimezone(container.settings.tz).date().isoformat()
    result = live(
        "incidents",
        "record",
        "--provider",
        "PRV001",
        "--date",
        today,
        "--reason",
        "other",
        "--details",
        "First line.\nSecond line.",
    )
    assert result.exit_code == 0, result.output


def test_reasons_and_notes_refuse_unusable_characters(
    live: Cli,  # noqa: F811
    container: Container,
) -> None:
    today = container.now().astimezone(container.settings.tz).date().isoformat()
    recorded = live(
        "incidents",
        "record",
        "--provider",
        "PRV001",
        "--date",
        today,
        "--reason",
        "other",
        "--details",
        "Left without notice.",
    )
    reference = re.search(r"INC-\d{4}-\d{4}", recorded.output).group(0)  # type: ignore[union-attr]

    reissue = live("reissue", "PRV001", "--reason", "Lost\x00 laptop")
    note = live("incidents", "assess", reference, "--note", "Checked\x08")
    decide = live("incidents", "decide", reference, "--no-change", "--reason", "ok\u2066")

    assert reissue.exit_code == 65
    assert "--reason: the reason contains a control character, U+0000" in reissue.output
    assert note.exit_code == 65
    assert "--note: the note contains a control character" in note.output
    assert decide.exit_code == 65
    assert "--reason: the reason contains a bidirectional control character" in decide.output


def test_a_ref_that_no_provider_can_have_is_refused_naming_its_parameter(
    live: Cli,  # noqa: F811
    container: Container,
) -> None:
    before = _count(container, AuditRecord)

    reissue = live("reissue", "PRV\x00001", "--reason", "Lost laptop")
    record = live(
        "incidents",
        "record",
        "--provider",
        "PRV\x1b001",
        "--date",
        "2026-01-05",
        "--reason",
        "other",
        "--details",
        "Left without notice.",
    )

    assert reissue.exit_code == 65
    assert "PROVIDER: the provider's ref contains a control character, U+0000" in reissue.output
    assert record.exit_code == 65
    assert "--provider: the provider's ref contains a control character" in record.output
    assert _count(container, IncidentReport) == 0 and _count(container, AuditRecord) == before
