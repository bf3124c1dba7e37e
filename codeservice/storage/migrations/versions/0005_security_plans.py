"""security_plans: when DWP received, approved and last heard of a change to each
prime provider's security plan (§17–18)

Revision ID: 0005_security_plans
Revises: 0004_retention

A provider without an approval date gets no code and the helpline refuses it. So that
an upgrade does not stop the service for everyone, every prime provider active at the
upgrade is recorded as received and approved on the day of the upgrade (the
database's CURRENT_DATE); the BMT then records the real dates with the next register
import. Inactive providers and subcontractors (covered by their prime's plan) get no
dates. A downgrade drops the three columns (SQLite 3.35 or later).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_security_plans"
down_revision = "0004_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("security_plan_received_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("security_plan_approved_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("security_plan_changed_on", sa.Date(), nullable=True))
    providers = sa.table(
        "providers",
        sa.column("prime_id", sa.Integer()),
        sa.column("active", sa.Boolean()),
        sa.column("security_plan_received_on", sa.Date()),
        sa.column("security_plan_approved_on", sa.Date()),
    )
    op.execute(
        providers.update()
        .where(providers.c.prime_id.is_(None), providers.c.active.is_(True))
        .values(
            security_plan_received_on=sa.func.current_date(),
            security_plan_approved_on=sa.func.current_date(),
        )
    )


def downgrade() -> None:
    # Not in batch mode: on SQLite that would copy, drop and rename ``providers``, which
    # the foreign keys of every SPoC, code and subcontractor refuse. SQLite 3.35 and
    # later drop a plain column in place.
    for column in ("changed", "approved", "received"):
        op.drop_column("providers", f"security_plan_{column}_on")
