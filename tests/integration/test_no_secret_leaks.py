"""No access code or unlock code in plain text: not in the database files, not in a
table dumped as text, not in the logs (DEBUG, SQL parameters included), not in the
audit trail — issued in-process and by a real ``codeservice`` process."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.services.operations import audit
from codeservice.storage.models import AuditRecord, Provider, Spoc
from tests.conftest import Cli
from tests.integration.services.test_codes import add_providers, issue_for_all
from tests.support.secrets import assert_absent, database_bytes, revealed

PROVIDERS = 220
PROCESS_PROVIDERS = 40  # each needs a real encrypted document: kept small for speed


def _audit_details(container: Container) -> bytes:
    with container.uow() as uow:
        rows = uow.session.execute(
            select(AuditRecord.actor, AuditRecord.action, AuditRecord.source, AuditRecord.details)
        ).all()
    assert rows
    return "\n".join(" ".join(row) for row in rows).encode()


def test_issued_codes_leave_no_plain_trace(
    cli: Cli, container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")  # statements, parameters, rows
    refs = add_providers(container, PROVIDERS)

    issued = issue_for_all(container, refs)
    with container.uow() as uow:
        for ref, one in issued.items():  # what a caller records: never the code
            audit.record(
                uow,
                container.keyring.audit_key,
                actor="test",
                action=AuditTag.CODE_ACCESS_ISSUE,
                source="test",
                details={
                    "provider": ref,
                    "cycle": "2027-04",
                    "document": one.access_code.document_ref,
                },
                now=container.now(),
            )
        uow.commit()
    rotated = cli("keys", "rotate")
    status = cli("keys", "status")

    assert rotated.exit_code == 0, rotated.output
    assert status.exit_code == 0, status.output
    codes = [one.code for one in issued.values()]
    unlocks = [one.unlock_code for one in issued.values()]
    assert len(set(codes)) == PROVIDERS
    same = revealed(container) == (codes, unlocks)  # not asserted directly: no secret shown
    assert same, "the stored codes do not reveal as issued"
    assert any("sqlalchemy" in record.name for record in caplog.records)
    assert_absent(
        codes + unlocks,
        {
            **database_bytes(container),
            "the logs": caplog.text.encode(),
            "log arguments": repr([r.args for r in caplog.records]).encode(),
            "the audit trail": _audit_details(container),
            "the CLI output": (rotated.output + status.output).encode(),
            "the keyring file": container.settings.master_key_file.read_bytes(),
        },
    )


@pytest.mark.slow
def test_a_real_rotation_process_leaves_no_plain_trace(cli: Cli, container: Container) -> None:
    now = container.now()
    cycle = container.calendar.next_to_issue(now)
    with container.uow() as uow:
        for number in range(1, PROCESS_PROVIDERS + 1):
            provider = Provider(
                ref=f"PRV{number:04d}",
                name=f"Provider {number} Ltd",
                security_plan_received_on=date(2024, 1, 8),
                security_plan_approved_on=date(2024, 2, 5),
                created_at=now,
                updated_at=now,
            )
            uow.session.add(provider)
            uow.session.add(
                Spoc(
                    provider=provider,
                    name=f"Spoc {number}",
                    email=f"spoc{number}@provider{number}.example.org",
                    created_at=now,
                    updated_at=now,
                )
            )
        uow.commit()
    cli.env["CODESERVICE_LOG_LEVEL"] = "DEBUG"

    result = cli.run_process("rotate", str(cycle), timeout=900)

    assert result.returncode == 0, result.stderr
    assert "issued access code" in result.stderr  # the DEBUG logs were written
    codes, unlocks = revealed(container)
    assert len(set(codes)) == PROCESS_PROVIDERS
    assert_absent(
        codes + unlocks,
        {
            **database_bytes(container),
            "the process output": (result.stdout + result.stderr).encode(),
            "the audit trail": _audit_details(container),
        },
    )


def test_second_factor_secrets_leave_no_plain_trace(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    """A TOTP key and the recovery codes, through enrolment, a sign-in with each and a
    new set: not in the database, the logs (SQL parameters included) or the audit."""
    import pyotp

    from codeservice.domain.accounts import Role
    from tests.integration.web.staff import PASSWORD
    from tests.support.staff import (
        add_user,
        enrol_app_at_sign_in,
        replace_recovery_codes,
        second_step_with_recovery_code,
        setup_totp,
        sign_in,
    )

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    add_user(container, "ann", role=Role.BMT, password=PASSWORD, actor="test")
    accepted = sign_in(container, "ann", PASSWORD, ip="192.0.2.7")
    key = setup_totp(container, accepted.user_id).key
    code = pyotp.TOTP(key).at(container.now())
    first = enrol_app_at_sign_in(
        container, accepted.user_id, accepted.session_epoch, code, "", ip="192.0.2.7"
    ).recovery_codes
    again = sign_in(container, "ann", PASSWORD, ip="192.0.2.7")
    second_step_with_recovery_code(
        container, again.user_id, again.session_epoch, first[0], ip="192.0.2.7"
    )
    second = replace_recovery_codes(container, accepted.user_id, source="192.0.2.7")

    assert any("sqlalchemy" in record.name for record in caplog.records)
    assert_absent(
        [key, *first, *second],
        {
            **database_bytes(container),
            "the logs": caplog.text.encode(),
            "log arguments": repr([r.args for r in caplog.records]).encode(),
            "the audit trail": _audit_details(container),
        },
    )
