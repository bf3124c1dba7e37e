"""Alembic environment; run through ``codeservice.storage.migrate``, not alembic.ini."""

from __future__ import annotations

from alembic import context

import codeservice.storage.models  # noqa: F401  (registers every table)
import mailer.schema
from codeservice.storage.base import metadata

target_metadata = [metadata, mailer.schema.metadata]
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
