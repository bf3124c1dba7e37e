from __future__ import annotations

import json

import pytest
from sqlalchemy import bindparam, select, text, update

from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.services.operations import audit
from codeservice.storage.models import AuditRecord
from codeservice.storage.repositories.audit import HEAD_HASH, HEAD_SEQ, append_lock, head_of


def _append(container: Container, uow, number: int) -> None:  # type: ignore[no-untyped-def]
    audit.record(
        uow,
        container.keyring.audit_key,
        actor="cli:tester",
        action=AuditTag.REGISTER_IMPORT_APPLY,
        source="cli",
        details={"number": number, "file": "register.csv"},
        now=container.now(),
    )


def _write(container: Container, count: int) -> None:
    for number in range(count):
        with container.uow() as uow:
            _append(container, uow, number)
            uow.commit()


def test_an_untouched_chain_verifies(cli, container: Container) -> None:
    _write(container, 5)
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "5 records verified" in result.output


def test_editing_one_record_is_found_and_named(cli, container: Container) -> None:
    _write(container, 5)
    with container.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_records SET details = :d WHERE seq = 3"),
            {"d": json.dumps({"number": 99, "file": "register.csv"})},
        )
    result = cli("audit", "verify")
    assert result.exit_code != 0
    assert "audit record #3" in result.output
    assert "changed" in result.output


def test_deleting_a_record_is_found(cli, container: Container) -> None:
    _write(container, 5)
    with container.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_records WHERE seq = 2"))
    result = cli("audit", "verify")
    assert result.exit_code != 0
    assert "#2 is missing" in result.output


def test_reordering_records_is_found(cli, container: Container) -> None:
    _write(container, 4)
    with container.engine.begin() as connection:
        connection.execute(text("UPDATE audit_records SET seq = -1 WHERE seq = 2"))
        connection.execute(text("UPDATE audit_records SET seq = 2 WHERE seq = 3"))
        connection.execute(text("UPDATE audit_records SET seq = 3 WHERE seq = -1"))
    result = cli("audit", "verify")
    assert result.exit_code != 0
    assert "audit record #2" in result.output


def test_a_rebuilt_hash_without_the_key_is_still_found(cli, container: Container) -> None:
    # Someone with only database access recomputes a plain SHA-256: the keyed chain fails.
    import hashlib

    _write(container, 3)
    with container.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_records SET actor = 'someone-else', hash = :h WHERE seq = 3"),
            {"h": hashlib.sha256(b"forged").hexdigest()},
        )
    result = cli("audit", "verify")
    assert result.exit_code != 0
    assert "audit record #3" in result.output


def test_audit_list_shows_newest_first(cli, container: Container) -> None:
    _write(container, 3)
    result = cli("audit", "list", "--json")
    records = json.loads(result.stdout)
    assert [r["seq"] for r in records] == [3, 2, 1]
    assert records[0]["action"] == "register:import:apply"


def test_a_run_of_appends_in_one_transaction_chains_across_a_rolled_back_savepoint(
    cli, container: Container
) -> None:
    _write(container, 1)
    with container.uow() as uow:
        _append(container, uow, 1)
        _append(container, uow, 2)
        savepoint = uow.session.begin_nested()
        _append(container, uow, 99)  # rolled back: the next append must not follow on from it
        savepoint.rollback()
        _append(container, uow, 3)
        uow.commit()
    with container.uow() as uow:  # a new transaction asks the database again
        _append(container, uow, 4)
        uow.commit()
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "5 records verified" in result.output


def test_a_head_noted_under_the_lock_is_used_once_then_appends_chain_on(
    cli, container: Container
) -> None:
    """A head read with another statement once the append lock is held (the helpline's
    state) saves reading it again; an append, a run of appends or a rolled-back
    savepoint after it never lets a later append follow on from a stale head."""
    _write(container, 2)
    entry = audit.Entry("cli:tester", AuditTag.REGISTER_IMPORT_APPLY, "cli", {"n": 1})
    with container.uow() as uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            uow.session.execute(select(append_lock()))
            uow.audit.took_append_lock()
        head = uow.session.execute(
            select(HEAD_SEQ.label("audit_seq"), HEAD_HASH.label("audit_hash"))
        ).one()
        uow.audit.note_head(head_of(head))
        _append(container, uow, 3)  # follows the noted head: #3
        audit.record_many(uow, container.keyring.audit_key, [entry, entry], now=container.now())
        _append(container, uow, 6)
        savepoint = uow.session.begin_nested()
        _append(container, uow, 99)
        savepoint.rollback()
        _append(container, uow, 7)
        uow.commit()
    with container.uow() as uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            uow.audit.note_head(head_of(head))  # not read under this one's lock: ignored
        _append(container, uow, 8)
        uow.commit()
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "8 records verified" in result.output


def test_runs_of_records_mixed_with_single_appends_chain_in_one_transaction(
    cli, container: Container
) -> None:
    def entries(*numbers: int) -> list[audit.Entry]:
        return [
            audit.Entry(
                "system:mail-worker",
                AuditTag.MAIL_MESSAGE_SEND,
                "smtp",
                {"number": n, "recipients": [f"spoc{n}@example.org"]},
            )
            for n in numbers
        ]

    key = container.keyring.audit_key
    with container.uow() as uow:
        audit.record_many(uow, key, entries(1, 2), now=container.now())
        _append(container, uow, 3)
        _append(container, uow, 4)  # pending in the session when the next run goes in
        audit.record_many(uow, key, entries(5, 6, 7), now=container.now())
        savepoint = uow.session.begin_nested()
        audit.record_many(uow, key, entries(98, 99), now=container.now())
        savepoint.rollback()  # the next append must not follow on from these
        _append(container, uow, 8)
        uow.commit()
    with container.read_uow() as uow:
        numbers = [record.details for record in reversed(uow.audit.recent(10))]
    assert [
        json.loads(d)["number"] if isinstance(d, str) else d["number"] for d in numbers
    ] == list(range(1, 9))
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "8 records verified" in result.output


def test_a_write_held_for_the_next_record_but_never_appended_is_not_committed(
    cli, container: Container
) -> None:
    """``with_next`` holds a write for the next append; a commit before that append
    would lose it, so the commit is refused and the transaction rolls back whole."""
    table = AuditRecord.__table__
    held = update(table).where(table.c.seq == bindparam("w_seq")).returning(table.c.id)
    with pytest.raises(RuntimeError, match="never appended"), container.uow() as uow:
        _append(container, uow, 1)
        uow.audit.with_next(held, {"w_seq": 1})
        uow.commit()
    with container.read_uow() as uow:
        assert uow.audit.last() is None
    _write(container, 2)
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "2 records verified" in result.output
