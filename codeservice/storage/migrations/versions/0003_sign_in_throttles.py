"""sign-in throttles: failures counted per typed name and per client address

Revision ID: 0003_sign_in_throttles
Revises: 0002_issue_failures
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sign_in_throttles"
down_revision = "0002_issue_failures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forget_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("name_hash", sa.LargeBinary(length=32), nullable=True),
        sa.CheckConstraint(
            "kind IN ('name', 'pair', 'address')", name=op.f("ck_sign_in_throttles_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_throttles")),
        sa.UniqueConstraint("kind", "key_hash", name=op.f("uq_sign_in_throttles_kind_key_hash")),
    )
    with op.batch_alter_table("sign_in_throttles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_throttles_forget_at"), ["forget_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sign_in_throttles_name_hash"), ["name_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sign_in_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_throttles_name_hash"))
        batch_op.drop_index(batch_op.f("ix_sign_in_throttles_forget_at"))
    op.drop_table("sign_in_throttles")
