"""retention: audit records chain personal fields through a salted digest (version 2),
when personal fields were redacted, and the seal of a redacted version 1 audit record

Revision ID: 0004_retention
Revises: 0003_sign_in_throttles

Records already written stay version 1 and verify as before. A downgrade drops the
new columns: version 2 records written since then no longer verify with the old code.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_retention"
down_revision = "0003_sign_in_throttles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("personal_salt", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("personal_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("redaction_seal", sa.String(length=64), nullable=True))
    with op.batch_alter_table("spocs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("incident_reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("details_removed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("incident_reports", schema=None) as batch_op:
        batch_op.drop_column("details_removed_at")
    with op.batch_alter_table("spocs", schema=None) as batch_op:
        batch_op.drop_column("redacted_at")
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.drop_column("redaction_seal")
        batch_op.drop_column("redacted_at")
        batch_op.drop_column("personal_hash")
        batch_op.drop_column("personal_salt")
        batch_op.drop_column("version")
