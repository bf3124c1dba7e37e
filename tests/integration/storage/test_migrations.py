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
