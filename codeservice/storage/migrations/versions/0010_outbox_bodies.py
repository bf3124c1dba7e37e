"""outbox_bodies: each outbox message's sealed body in a table of its own

Revision ID: 0010_outbox_bodies
Revises: 0009_second_factors

The bodies still held (messages not yet sent, cancelled nor blanked) move to
``outbox_bodies``; ``outbox.sealed_message`` goes. A state change then rewrites only the
message's small row. Going down puts the bodies back in their rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_outbox_bodies"
down_revision = "0009_second_factors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_bodies",
        sa.Column("outbox_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_outbox_bodies_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("outbox_id", name=op.f("pk_outbox_bodies")),
    )
    op.execute(
        "INSERT INTO outbox_bodies (outbox_id, sealed) "
        "SELECT id, sealed_message FROM outbox WHERE sealed_message IS NOT NULL"
    )
    # Not in batch mode: on SQLite (3.35 or later) the column is dropped in place. A
    # batch would copy the table and drop the old one, which outbox_bodies now refers to.
    op.drop_column("outbox", "sealed_message")


def downgrade() -> None:
    op.add_column("outbox", sa.Column("sealed_message", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE outbox SET sealed_message = "
        "(SELECT sealed FROM outbox_bodies WHERE outbox_bodies.outbox_id = outbox.id)"
    )
    op.drop_table("outbox_bodies")
