from __future__ import annotations

import base64
import json
from email.message import EmailMessage

from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.services.distribution.codes import reveal_access_code, reveal_unlock_code
from codeservice.services.operations.keys import key_status, reseal_access_codes, rotate_keys
from codeservice.storage.models import AccessCode, AuditRecord
from mailer import outbox
from tests.conftest import Cli
from tests.integration.services.test_codes import add_providers, issue_for_all


def _rows(container: Container) -> list[AccessCode]:
    with container.uow() as uow:
        rows = list(uow.session.scalars(select(AccessCode).order_by(AccessCode.id)))
        for row in rows:
            _ = row.provider  # load it while the session is open
        uow.session.expunge_all()  # keep the loaded values past the closing rollback
        return rows


def _all_reveal(container: Container, issued: dict[str, object]) -> None:
    keyring = Keyring.load(container.settings.master_key_file)
    for row in _rows(container):
        expected = issued[row.provider.ref]
        assert reveal_access_code(keyring, row) == expected.code  # type: ignore[attr-defined]
        assert reveal_unlock_code(keyring, row) == expected.unlock_code  # type: ignore[attr-defined]


def _queue_message(container: Container, key: str) -> None:
    message = EmailMessage()
    message["From"] = "bmt@example.gov.uk"
    message["To"] = "spoc@example.org"
    message["Subject"] = "Your document"
    message.set_content(f"body of {key}")
    with container.uow() as uow:
        outbox.enqueue(
            uow.session,
            message,
            dedupe_key=key,
            category="test",
            now=container.now(),
            sealer=container.keyring,
        )
        uow.commit()


def _message_bodies(container: Container, keyring: Keyring) -> dict[str, tuple[str, str]]:
    found = {}
    with container.uow() as uow:
        for entry in outbox.entries(uow.session):
            body = outbox.open_message(entry, keyring).get_content().strip()
            found[entry.dedupe_key] = (body, keyring.key_id_of(entry.sealed_message))
    return found


def test_rotate_reseals_every_code_and_message(cli: Cli, container: Container) -> None:
    issued = issue_for_all(container, add_providers(container, 30))
    _queue_message(container, "message-1")
    _queue_message(container, "message-2")
    old_key = container.keyring.current_key_id
    before = {row.id: (row.sealed_code, row.sealed_unlock) for row in _rows(container)}

    result = cli("keys", "rotate", "--batch-size", "7")

    assert result.exit_code == 0, result.output
    keyring = Keyring.load(container.settings.master_key_file)
    new_key = keyring.current_key_id
    assert new_key != old_key
    assert set(keyring.key_ids) == {old_key, new_key}
    assert f"New current key {new_key}" in result.stdout
    assert "re-sealed 30 access codes and 2 messages" in result.stdout
    for row in _rows(container):
        assert row.key_id == new_key
        assert keyring.key_id_of(row.sealed_code) == new_key
        assert keyring.key_id_of(row.sealed_unlock) == new_key
        assert (row.sealed_code, row.sealed_unlock) != before[row.id]
    _all_reveal(container, issued)
    assert _message_bodies(container, keyring) == {
        "message-1": ("body of message-1", new_key),
        "message-2": ("body of message-2", new_key),
    }


def test_rotate_is_audited_without_key_material(cli: Cli, container: Container) -> None:
    issue_for_all(container, add_providers(container, 3))

    result = cli("keys", "rotate")

    assert result.exit_code == 0, result.output
    keyring = Keyring.load(container.settings.master_key_file)
    with container.uow() as uow:
        records = list(
            uow.session.scalars(
                select(AuditRecord.details).where(AuditRecord.action == AuditTag.SYSTEM_KEYS_ROTATE)
            )
        )
    assert len(records) == 1
    details = json.loads(records[0])
    assert details["key_id"] == keyring.current_key_id
    assert details["access_codes_resealed"] == 3
    assert details["messages_resealed"] == 0
    document = json.loads(container.settings.master_key_file.read_text())
    secrets = [
        *document["sealing_keys"].values(),
        document["fingerprint_key"],
        document["audit_key"],
    ]
    for secret in secrets:
        assert secret not in records[0]
        assert base64.b64decode(secret).hex() not in records[0]
    verify = cli("audit", "verify")
    assert verify.exit_code == 0, verify.output


def test_an_interrupted_rotation_leaves_everything_readable(container: Container) -> None:
    issued = issue_for_all(container, add_providers(container, 25))
    keyring = container.keyring
    old_key = keyring.current_key_id
    new_key = keyring.add_key()

    # The first batch only, as if the process died after it.
    done = reseal_access_codes(container.uow, keyring, batch_size=10, max_batches=1)

    assert done == 10
    keys_used = [row.key_id for row in _rows(container)]
    assert keys_used.count(new_key) == 10 and keys_used.count(old_key) == 15
    _all_reveal(container, issued)

    # Running it again finishes the job.
    assert reseal_access_codes(container.uow, keyring, batch_size=10) == 15
    assert {row.key_id for row in _rows(container)} == {new_key}
    _all_reveal(container, issued)
    assert reseal_access_codes(container.uow, keyring, batch_size=10) == 0


def test_resume_finishes_without_adding_a_key(cli: Cli, container: Container) -> None:
    issued = issue_for_all(container, add_providers(container, 12))
    keyring = container.keyring
    new_key = keyring.add_key()
    reseal_access_codes(container.uow, keyring, batch_size=5, max_batches=1)

    result = cli("keys", "rotate", "--resume")

    assert result.exit_code == 0, result.output
    assert f"finished under key {new_key}" in result.stdout
    reloaded = Keyring.load(container.settings.master_key_file)
    assert reloaded.current_key_id == new_key and len(reloaded.key_ids) == 2
    assert {row.key_id for row in _rows(container)} == {new_key}
    _all_reveal(container, issued)


def test_a_second_rotation_after_a_crash_also_finishes(container: Container) -> None:
    issued = issue_for_all(container, add_providers(container, 12))
    container.keyring.add_key()
    reseal_access_codes(container.uow, container.keyring, batch_size=5, max_batches=1)

    report = rotate_keys(
        container.uow, container.keyring, actor="test", source="test", now=container.now()
    )

    assert report.access_codes == 12
    assert {row.key_id for row in _rows(container)} == {report.key_id}
    _all_reveal(container, issued)


def test_status_counts_values_per_key(cli: Cli, container: Container) -> None:
    issue_for_all(container, add_providers(container, 4))
    _queue_message(container, "message-1")
    first_key = container.keyring.current_key_id
    second_key = container.keyring.add_key()
    reseal_access_codes(container.uow, container.keyring, batch_size=3, max_batches=1)

    status = key_status(container.read_uow, container.keyring)
    result = cli("keys", "status", "--json")

    assert status.current_key_id == second_key
    assert status.access_codes_by_key == {first_key: 1, second_key: 3}
    assert status.messages_by_key == {first_key: 1}
    assert status.missing_key_ids == []
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["current_key_id"] == second_key
    assert shown["key_ids"] == [first_key, second_key]
    assert shown["sealed_under_older_keys"] == 2  # one access code and one message
    table = cli("keys", "status")
    assert table.exit_code == 0, table.output
    assert second_key in table.stdout
    assert "2 values still sealed under older keys" in table.stdout
    assert "keys rotate --resume" in table.stdout

    rotate_keys(
        container.uow, container.keyring, actor="t", source="t", now=container.now(), resume=True
    )
    finished = cli("keys", "status")
    assert key_status(container.read_uow, container.keyring).under_older_keys == 0
    assert "older keys" not in finished.stdout


def test_status_warns_about_a_key_missing_from_the_keyring(cli: Cli, container: Container) -> None:
    issue_for_all(container, add_providers(container, 2))
    with container.engine.begin() as connection:
        connection.execute(AccessCode.__table__.update().values(key_id="k9-lost"))

    result = cli("keys", "status")

    assert result.exit_code == 1
    assert "k9-lost" in result.stdout
    assert "restore the keyring from backup" in result.stderr


def test_rotate_reseals_staff_totp_keys_which_still_give_the_same_codes(
    container: Container,
) -> None:
    from codeservice.crypto.keyring import key_id_of
    from codeservice.domain.accounts import Role
    from codeservice.storage.models import SecondFactor
    from tests.integration.web.staff import PASSWORD
    from tests.support.second_factor import seed_factor, sign_in_fully
    from tests.support.staff import add_user

    add_user(container, "ann", role=Role.BMT, password=PASSWORD, actor="test")
    seed_factor(container, "ann")

    rotate_keys(container.uow, container.keyring, actor="test", source="test", now=container.now())

    current = container.keyring.current_key_id
    with container.uow() as uow:
        (factor,) = uow.session.scalars(select(SecondFactor))
        assert factor.totp_key_sealed is not None
        assert key_id_of(factor.totp_key_sealed) == current
    assert sign_in_fully(container, "ann", PASSWORD, ip="127.0.0.1").principal.name == "ann"
