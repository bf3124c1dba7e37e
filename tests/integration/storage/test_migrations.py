from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import mailer.schema
from codeservice.bootstrap import Container
from codeservice.storage.base import metadata
from codeservice.storage.db import SCHEMA_REVISION, stored_revision
from codeservice.storage.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade_to_head,
)


def _migrate(container: Container, target: str, down: bool = False) -> set[str]:
    """Migrate the test database up or down to ``target``; return its tables then."""
    config = alembic_config()
    with container.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, target)
    return set(inspect(container.engine).get_table_names())


def test_init_migrates_to_head_and_running_again_changes_nothing(container: Container) -> None:
    assert current_revision(container.engine) == head_revision()
    assert upgrade_to_head(container.engine) is False


def test_the_schema_check_knows_the_newest_migration(container: Container) -> None:
    """Commands check the schema without Alembic: its revision, written in db.py, and
    what it reads from the database agree with Alembic's own."""
    assert head_revision() == SCHEMA_REVISION
    assert stored_revision(container.engine) == current_revision(container.engine)


def test_models_and_migrations_agree(container: Container) -> None:
    with container.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, [metadata, mailer.schema.metadata])
    assert differences == []


def test_0004_keeps_existing_audit_records_as_version_1_and_goes_down_and_up(
    container: Container,
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import text

    container.engine.dispose()
    _migrate(container, "0003_sign_in_throttles", down=True)
    try:
        with container.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO audit_records (seq, at, actor, action, source, details, "
                    "prev_hash, hash) VALUES (999, :at, 'cli:old', 'system:database:init', "
                    "'cli', '{}', :prev, :hash)"
                ),
                {"at": datetime(2025, 1, 1, tzinfo=UTC), "prev": "0" * 64, "hash": "f" * 64},
            )
    finally:
        _migrate(container, "head")
    with container.engine.connect() as connection:
        row = connection.execute(
            text("SELECT version, personal_salt, redacted_at FROM audit_records WHERE seq = 999")
        ).one()
    assert tuple(row) == (1, None, None)
    assert current_revision(container.engine) == head_revision()


def test_0005_treats_active_primes_as_approved_and_goes_down_and_up(
    container: Container,
) -> None:
    """An upgrade must not stop the helpline: active prime providers are recorded as
    approved on the day of the upgrade; inactive ones and subcontractors are not."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    container.engine.dispose()
    _migrate(container, "0004_retention", down=True)
    try:
        with container.engine.begin() as connection:
            at = datetime(2025, 1, 1, tzinfo=UTC)
            for id_, ref, prime_id, active in (
                (901, "OLD1", None, True),
                (902, "OLD2", None, False),
                (903, "OLDSUB", 901, True),
            ):
                connection.execute(
                    text(
                        "INSERT INTO providers (id, ref, name, prime_id, active, created_at, "
                        "updated_at) VALUES (:id, :ref, :ref, :prime_id, :active, :at, :at)"
                    ),
                    {"id": id_, "ref": ref, "prime_id": prime_id, "active": active, "at": at},
                )
    finally:
        _migrate(container, "head")
    with container.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT ref, security_plan_received_on, security_plan_approved_on, "
                "security_plan_changed_on FROM providers WHERE id > 900 ORDER BY ref"
            )
        ).all()
    old1, old2, oldsub = rows
    assert old1[1] is not None and old1[1] == old1[2]
    assert old1[3] is None
    assert tuple(old2[1:]) == (None, None, None)
    assert tuple(oldsub[1:]) == (None, None, None)
    assert current_revision(container.engine) == head_revision()

    _migrate(container, "0004_retention", down=True)
    with container.engine.connect() as connection:
        columns = connection.execute(text("SELECT * FROM providers")).keys()
    assert not [c for c in columns if c.startswith("security_plan")]
    _migrate(container, "head")
    assert current_revision(container.engine) == head_revision()


def test_0006_adds_the_notice_tables_and_takes_them_away(container: Container) -> None:

    container.engine.dispose()
    try:
        below = _migrate(container, "0005_security_plans", down=True)
    finally:
        above = _migrate(container, "head")
    assert {"notices", "notice_recipients"} & below == set()
    assert {"notices", "notice_recipients"} <= above
    assert current_revision(container.engine) == head_revision()


def test_0008_adds_the_register_uploads_and_takes_them_away(container: Container) -> None:

    container.engine.dispose()
    try:
        below = _migrate(container, "0007_staff_accounts", down=True)
    finally:
        above = _migrate(container, "head")
    assert "register_uploads" not in below and "register_uploads" in above
    assert current_revision(container.engine) == head_revision()


def test_0009_adds_the_second_factor_tables_and_takes_them_away(container: Container) -> None:

    tables = {"staff_second_factors", "staff_recovery_codes", "staff_factor_challenges"}
    container.engine.dispose()
    try:
        below = _migrate(container, "0008_register_uploads", down=True)
    finally:
        above = _migrate(container, "head")
    assert tables & below == set()
    assert tables <= above
    assert current_revision(container.engine) == head_revision()


def test_0010_moves_the_outbox_bodies_to_their_table_and_back(container: Container) -> None:
    """Bodies still held go to outbox_bodies (a sent message has none); going down puts
    them back in their rows."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    insert = text(
        "INSERT INTO outbox (id, dedupe_key, category, recipients, subject, sealed_message, "
        "state, attempts, created_at, due_at) VALUES (:id, :key, 'test', 'a@example.org', "
        "'s', :body, :state, 0, :at, :at)"
    )
    at = datetime(2025, 1, 1, tzinfo=UTC)
    container.engine.dispose()
    _migrate(container, "0009_second_factors", down=True)
    try:
        with container.engine.begin() as connection:
            connection.execute(
                insert,
                {"id": 901, "key": "k901", "body": b"sealed-901", "state": "queued", "at": at},
            )
            connection.execute(
                insert, {"id": 902, "key": "k902", "body": None, "state": "sent", "at": at}
            )
    finally:
        _migrate(container, "head")
    with container.engine.connect() as connection:
        bodies = connection.execute(text("SELECT outbox_id, sealed FROM outbox_bodies")).all()
        columns = connection.execute(text("SELECT * FROM outbox")).keys()
    assert [(row[0], bytes(row[1])) for row in bodies] == [(901, b"sealed-901")]
    assert "sealed_message" not in columns

    container.engine.dispose()
    try:
        below = _migrate(container, "0009_second_factors", down=True)
        with container.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, sealed_message FROM outbox WHERE id > 900 ORDER BY id")
            ).all()
    finally:
        _migrate(container, "head")
    assert "outbox_bodies" not in below
    assert [(row[0], None if row[1] is None else bytes(row[1])) for row in rows] == [
        (901, b"sealed-901"),
        (902, None),
    ]
    assert current_revision(container.engine) == head_revision()


def test_0011_adds_the_helpline_history_indexes_and_takes_them_away(container: Container) -> None:
    names = {
        ("challenges", "ix_challenges_provider_result_answered"),
        ("verification_locks", "ix_verification_locks_provider_day"),
        ("access_codes", "ix_access_codes_provider_active_from"),
    }

    def indexes() -> set[tuple[str, str]]:
        found = inspect(container.engine)
        return {(table, i["name"]) for table, _ in names for i in found.get_indexes(table)}

    container.engine.dispose()
    try:
        _migrate(container, "0010_outbox_bodies", down=True)
        below = indexes()
    finally:
        _migrate(container, "head")
    assert names & below == set()
    assert names <= indexes()
    assert current_revision(container.engine) == head_revision()
