"""helpline_history_indexes: a prime's fails, locks and code in force found by index

Revision ID: 0011_helpline_history_indexes
Revises: 0010_outbox_bodies

Every helpline challenge and answer counts the prime provider's fails today and its
locks of the day, and finds its code in force. With only ``(provider_id, created_at)``
and ``(provider_id)`` to go by, they read every challenge, lock and code the provider
ever had (the codes sorted each time), so each request cost more as its history grew.
"""

from __future__ import annotations

from alembic import op

revision = "0011_helpline_history_indexes"
down_revision = "0010_outbox_bodies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_challenges_provider_result_answered",
        "challenges",
        ["provider_id", "result", "answered_at"],
    )
    op.create_index(
        "ix_verification_locks_provider_day", "verification_locks", ["provider_id", "day"]
    )
    op.create_index(
        "ix_access_codes_provider_active_from", "access_codes", ["provider_id", "active_from"]
    )


def downgrade() -> None:
    op.drop_index("ix_access_codes_provider_active_from", table_name="access_codes")
    op.drop_index("ix_verification_locks_provider_day", table_name="verification_locks")
    op.drop_index("ix_challenges_provider_result_answered", table_name="challenges")
