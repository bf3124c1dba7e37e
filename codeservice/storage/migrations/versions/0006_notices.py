"""notices: what the BMT told every SPoC at once (§56), and to whom it went

Revision ID: 0006_notices
Revises: 0005_security_plans
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_notices"
down_revision = "0005_security_plans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("key", name=op.f("uq_notices_key")),
    )
    op.create_table(
        "notice_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("spoc_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_recipients_notice_id_notices")
        ),
        sa.ForeignKeyConstraint(
            ["spoc_id"], ["spocs.id"], name=op.f("fk_notice_recipients_spoc_id_spocs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_recipients")),
        sa.UniqueConstraint(
            "notice_id", "spoc_id", name=op.f("uq_notice_recipients_notice_id_spoc_id")
        ),
    )
    with op.batch_alter_table("notice_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notice_recipients_notice_id"), ["notice_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notice_recipients_spoc_id"), ["spoc_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notice_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_recipients_spoc_id"))
        batch_op.drop_index(batch_op.f("ix_notice_recipients_notice_id"))
    op.drop_table("notice_recipients")
    op.drop_table("notices")
