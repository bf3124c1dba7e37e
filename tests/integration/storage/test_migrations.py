from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import mailer.schema
from codeservice.bootstrap import Container
from codeservice.storage.base import metadata
from codeservice.storage.migrate import current_revision, head_revision, upgrade_to_head


def test_init_migrates_to_head_and_running_again_changes_nothing(container: Container) -> None:
    assert current_revision(container.engine) == head_revision()
    assert upgrade_to_head(container.engine) is False


def test_models_and_migrations_agree(container: Container) -> None:
    with container.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, [metadata, mailer.schema.metadata])
    assert differences == []


def test_0004_keeps_existing_audit_records_as_version_1_and_goes_down_and_up(
    container: Container,
) -> None:
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import text

    from codeservice.storage.migrate import alembic_config

    def migrate(target: str, down: bool = False) -> None:
        config = alembic_config()
        with container.engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, target)

    container.engine.dispose()
    migrate("0003_sign_in_throttles", down=True)
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
        migrate("head")
    with container.engine.connect() as connection:
        row = connection.execute(
            text("SELECT version, personal_salt, redacted_at FROM audit_records WHERE seq = 999")
        ).one()
    assert tuple(row) == (1, None, None)
    assert current_revision(container.engine) == head_revision()


def test_0005_adds_the_notice_tables_and_takes_them_away(container: Container) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from codeservice.storage.migrate import alembic_config

    def migrate(target: str, down: bool = False) -> set[str]:
        config = alembic_config()
        with container.engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, target)
        return set(inspect(container.engine).get_table_names())

    container.engine.dispose()
    try:
        below = migrate("0004_retention", down=True)
    finally:
        above = migrate("head")
    assert {"notices", "notice_recipients"} & below == set()
    assert {"notices", "notice_recipients"} <= above
    assert current_revision(container.engine) == head_revision()
