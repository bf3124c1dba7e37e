"""issue failures: providers a rotation could not issue

Revision ID: 0002_issue_failures
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_issue_failures"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issue_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.String(length=7), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_issue_failures_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_failures")),
        sa.UniqueConstraint(
            "provider_id", "cycle", name=op.f("uq_issue_failures_provider_id_cycle")
        ),
    )
    with op.batch_alter_table("issue_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issue_failures_cycle"), ["cycle"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_issue_failures_provider_id"), ["provider_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("issue_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_failures_provider_id"))
        batch_op.drop_index(batch_op.f("ix_issue_failures_cycle"))
    op.drop_table("issue_failures")
