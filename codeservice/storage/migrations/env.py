"""Alembic environment; run through ``codeservice.storage.migrate``, not alembic.ini."""

from __future__ import annotations

from alembic import context

import mailer.schema
from codeservice.storage.base import metadata
from codeservice.storage.models import load_all

load_all()  # registers every table

target_metadata = [metadata, mailer.schema.metadata]
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
