"""``codeservice audit verify`` finds a trail emptied, cut back or re-grown, a forged or
missing anchor, and codes, reissues or staff accounts without their audit records."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.domain.audit_anchor import ChainHead, anchor_text, make_anchor
from codeservice.services.distribution.rotation import rotate
from codeservice.services.operations import audit
from codeservice.storage.models import StaffUser
from tests.conftest import Cli
from tests.integration.services.test_reissue import APRIL, make_world


def _write(container: Container, count: int) -> None:
    for number in range(count):
        with container.uow() as uow:
            audit.record(
                uow,
                container.keyring.audit_key,
                actor="cli:tester",
                action=AuditTag.REGISTER_IMPORT_APPLY,
                source="cli",
                details={"number": number},
                now=container.now(),
            )
            uow.commit()


def _anchor_file(container: Container) -> Path:
    return container.settings.audit_anchor_file


def _anchored(container: Container) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(_anchor_file(container).read_text())
    return loaded


def _sql(container: Container, statement: str) -> None:
    with container.engine.begin() as connection:
        connection.execute(text(statement))


def _verify(cli: Cli) -> tuple[int, str]:
    result = cli("audit", "verify")
    return result.exit_code, " ".join(result.output.split())


def test_every_append_moves_the_anchor_kept_beside_the_keyring(
    cli: Cli, container: Container
) -> None:
    code, output = _verify(cli)
    assert code == 0, output
    assert "no audit records yet, no anchor yet" in output
    assert not _anchor_file(container).exists()

    _write(container, 5)

    anchor_file = _anchor_file(container)
    assert anchor_file.parent == container.settings.master_key_file.parent
    assert stat.S_IMODE(anchor_file.stat().st_mode) == 0o600
    assert _anchored(container)["seq"] == 5
    code, output = _verify(cli)
    assert code == 0, output
    assert "hash chain: intact, 5 records verified" in output
    assert "anchor: ok: the anchor vouches for record #5" in output
    assert "cross-check: ok" in output


def test_an_emptied_trail_is_found(cli: Cli, container: Container) -> None:
    _write(container, 5)
    _sql(container, "DELETE FROM audit_records")

    code, output = _verify(cli)

    assert code == 2, output
    assert "the audit trail is empty, but the anchor vouches for 5 records" in output
    assert "audit verify failed" in output and "Traceback" not in output


def test_a_trail_cut_back_to_its_first_records_is_found(cli: Cli, container: Container) -> None:
    _write(container, 5)
    _sql(container, "DELETE FROM audit_records WHERE seq > 2")

    code, output = _verify(cli)

    assert code == 2, output
    assert "hash chain: intact, 2 records verified" in output  # the chain alone cannot tell
    assert "ends at record #2, but the anchor vouches for #5: 3 records were removed" in output


def test_a_trail_cut_back_and_written_again_keeps_failing(cli: Cli, container: Container) -> None:
    _write(container, 5)
    _sql(container, "DELETE FROM audit_records WHERE seq > 2")
    _write(container, 6)  # the service carries on: records #3 to #8, a valid chain

    code, output = _verify(cli)

    assert code == 2, output
    assert "audit record #5 is not the record the anchor vouches for" in output
    assert _anchored(container)["seq"] == 5  # never moved onto the new chain


def test_a_forged_anchor_is_found(cli: Cli, container: Container) -> None:
    _write(container, 5)
    _sql(container, "DELETE FROM audit_records WHERE seq > 2")
    with container.uow() as uow:
        last = uow.audit.last()
        assert last is not None
        head = ChainHead(last.seq, last.hash)
    # Someone cut the trail and rewrote the anchor to match, without the audit key.
    _anchor_file(container).write_text(anchor_text(make_anchor(b"x" * 32, head)))

    code, output = _verify(cli)

    assert code == 2, output
    assert "the audit anchor's HMAC does not match" in output
    _anchor_file(container).write_text("{}")
    code, output = _verify(cli)
    assert code == 2 and "the audit anchor cannot be read" in output


def test_a_missing_anchor_is_named_and_can_be_made_again(cli: Cli, container: Container) -> None:
    _write(container, 3)
    _anchor_file(container).unlink()
    _write(container, 1)  # an append does not silently anchor a trail it did not start

    code, output = _verify(cli)

    assert code == 2, output
    assert "the audit anchor file is missing, but the trail holds 4 records" in output
    assert not _anchor_file(container).exists()
    made = cli("audit", "anchor")
    assert made.exit_code == 0, made.output
    assert "the anchor vouches for record #5" in made.output
    code, output = _verify(cli)
    assert code == 0, output


def test_audit_anchor_leaves_an_anchor_that_vouches_for_removed_records(
    cli: Cli, container: Container
) -> None:
    _write(container, 4)
    _sql(container, "DELETE FROM audit_records WHERE seq > 1")

    made = cli("audit", "anchor")

    assert made.exit_code == 2
    assert "the anchor was not written" in " ".join(made.output.split())
    assert _anchored(container)["seq"] == 4


def test_an_anchor_left_behind_by_a_crash_is_reported_not_failed(
    cli: Cli, container: Container
) -> None:
    _write(container, 3)
    at_three = _anchor_file(container).read_text()
    _write(container, 2)
    _anchor_file(container).write_text(at_three)  # as if killed before writing the anchor

    code, output = _verify(cli)

    assert code == 0, output
    assert "the anchor vouches for record #3; the 2 records after it follow on from it" in output
    _write(container, 1)
    assert _anchored(container)["seq"] == 6


def test_concurrent_writers_leave_the_anchor_at_the_head(cli: Cli, container: Container) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            _write(container, 8)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert _anchored(container)["seq"] == 32
    code, output = _verify(cli)
    assert code == 0, output
    assert "anchor: ok: the anchor vouches for record #32" in output


def test_codes_and_staff_accounts_without_audit_records_are_reported(
    cli: Cli, container: Container
) -> None:
    world, built = make_world(container, datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    world.clock.now = built.calendar.dates(APRIL).issue_at
    rotate(built.press, APRIL, now=built.now(), actor="scheduler", source="test", workers=1)
    built.close()
    code, output = _verify(cli)
    assert code == 0, output
    assert "2 access codes" in output

    _sql(container, "UPDATE access_codes SET document_ref = 'DOC-UNAUDITED' WHERE id = 1")
    with container.uow() as uow:  # written past the service, so never audited
        uow.session.add(
            StaffUser(
                name="mallory",
                display_name="Mallory",
                role="admin",
                password_hash="not-a-real-hash",  # noqa: S106
                active=True,
                created_at=datetime(2027, 2, 1, tzinfo=UTC),
                password_changed_at=datetime(2027, 2, 1, tzinfo=UTC),
                failed_attempts=0,
                session_epoch=0,
            )
        )
        uow.commit()

    code, output = _verify(cli)

    assert code == 2, output
    assert "hash chain: intact" in output and "anchor: ok" in output
    assert "access code DOC-UNAUDITED (PRV001, cycle 2027-04) has no code:access:issue" in output
    assert "staff account 'mallory' has no staff:user:create record" in output
