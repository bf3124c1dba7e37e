"""register_uploads: a register CSV uploaded in the browser, between preview and apply

Revision ID: 0008_register_uploads
Revises: 0007_staff_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_register_uploads"
down_revision = "0007_staff_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("prune", sa.Boolean(), nullable=False),
        sa.Column("register_state", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_uploads")),
        sa.UniqueConstraint("key", name=op.f("uq_register_uploads_key")),
    )


def downgrade() -> None:
    op.drop_table("register_uploads")
