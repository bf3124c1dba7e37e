"""staff accounts in the browser: an email address per account, set-password links

Revision ID: 0007_staff_accounts
Revises: 0006_notices
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_staff_accounts"
down_revision = "0006_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    op.create_table(
        "staff_password_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_password_links_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_password_links")),
        sa.UniqueConstraint("digest", name=op.f("uq_staff_password_links_digest")),
    )
    with op.batch_alter_table("staff_password_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_password_links_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_password_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_password_links_user_id"))
    op.drop_table("staff_password_links")
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("email")
