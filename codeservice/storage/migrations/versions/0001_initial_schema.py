"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "uq_api_tokens_live_name",
            ["name"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    op.create_table(
        "audit_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_records")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_records_hash")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_records_seq")),
    )
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_records_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_records_at"), ["at"], unique=False)

    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("caught_up", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "key", name=op.f("uq_job_runs_job_key")),
    )
    op.create_table(
        "one_time_downloads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_downloads")),
        sa.UniqueConstraint("ticket_digest", name=op.f("uq_one_time_downloads_ticket_digest")),
    )
    with op.batch_alter_table("one_time_downloads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_one_time_downloads_owner"), ["owner"], unique=False)

    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("prime_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prime_id"], ["providers.id"], name=op.f("fk_providers_prime_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
        sa.UniqueConstraint("ref", name=op.f("uq_providers_ref")),
    )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_providers_prime_id"), ["prime_id"], unique=False)

    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_lease")),
    )
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("name", name=op.f("uq_staff_users_name")),
    )
    op.create_table(
        "access_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sealed_code", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_unlock", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("document_ref", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_access_codes_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["access_codes.id"],
            name=op.f("fk_access_codes_replaces_id_access_codes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_codes")),
        sa.UniqueConstraint("document_ref", name=op.f("uq_access_codes_document_ref")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_access_codes_fingerprint")),
    )
    with op.batch_alter_table("access_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_codes_cycle"), ["cycle"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_access_codes_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            "uq_access_codes_provider_cycle_live",
            ["provider_id", "cycle"],
            unique=True,
            sqlite_where=sa.text("state != 'revoked'"),
            postgresql_where=sa.text("state != 'revoked'"),
        )

    op.create_table(
        "incident_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("subcontractor", sa.String(length=255), nullable=True),
        sa.Column("change_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reported_by", sa.String(length=255), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_by", sa.String(length=255), nullable=True),
        sa.Column("assessment_note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("alert_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_incident_reports_provider_id_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_reports")),
        sa.UniqueConstraint("reference", name=op.f("uq_incident_reports_reference")),
    )
    with op.batch_alter_table("incident_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_reports_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_reports_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incident_reports_state"), ["state"], unique=False)

    op.create_table(
        "spocs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_spocs_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spocs")),
        sa.UniqueConstraint("provider_id", "email", name=op.f("uq_spocs_provider_id_email")),
    )
    with op.batch_alter_table("spocs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spocs_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "verification_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("fails", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlocked_by", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_verification_locks_provider_id_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_locks")),
    )
    with op.batch_alter_table("verification_locks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verification_locks_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            "uq_verification_locks_provider_day_open",
            ["provider_id", "day"],
            unique=True,
            sqlite_where=sa.text("unlocked_at IS NULL"),
            postgresql_where=sa.text("unlocked_at IS NULL"),
        )

    op.create_table(
        "challenges",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("asked_for_provider_id", sa.Integer(), nullable=False),
        sa.Column("access_code_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=255), nullable=False),
        sa.Column("positions", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_code_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=8), nullable=True),
        sa.CheckConstraint("result IN ('pass', 'fail')", name=op.f("ck_challenges_result")),
        sa.ForeignKeyConstraint(
            ["access_code_id"],
            ["access_codes.id"],
            name=op.f("fk_challenges_access_code_id_access_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_code_id"],
            ["access_codes.id"],
            name=op.f("fk_challenges_answered_code_id_access_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["asked_for_provider_id"],
            ["providers.id"],
            name=op.f("fk_challenges_asked_for_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_challenges_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenges")),
    )
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_challenges_access_code_id"), ["access_code_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_challenges_answered_at"), ["answered_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_challenges_answered_code_id"), ["answered_code_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_challenges_asked_for_provider_id"),
            ["asked_for_provider_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_challenges_provider_created", ["provider_id", "created_at"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("access_code_id", sa.Integer(), nullable=False),
        sa.Column("spoc_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_message_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_ip", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_user_agent", sa.String(length=512), nullable=True),
        sa.Column("unlock_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["access_code_id"],
            ["access_codes.id"],
            name=op.f("fk_deliveries_access_code_id_access_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["spoc_id"], ["spocs.id"], name=op.f("fk_deliveries_spoc_id_spocs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "access_code_id", "spoc_id", name=op.f("uq_deliveries_access_code_id_spoc_id")
        ),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_access_code_id"), ["access_code_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_deliveries_spoc_id"), ["spoc_id"], unique=False)

    op.create_table(
        "reissues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("codes_replaced", sa.Integer(), nullable=False),
        sa.Column("covered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["covered_by_id"], ["reissues.id"], name=op.f("fk_reissues_covered_by_id_reissues")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident_reports.id"],
            name=op.f("fk_reissues_incident_id_incident_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_reissues_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reissues")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_reissues_incident_id")),
    )
    with op.batch_alter_table("reissues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reissues_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "link_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("spoc_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name=op.f("fk_link_tokens_delivery_id_deliveries")
        ),
        sa.ForeignKeyConstraint(
            ["spoc_id"], ["spocs.id"], name=op.f("fk_link_tokens_spoc_id_spocs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_link_tokens_digest")),
    )
    with op.batch_alter_table("link_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_link_tokens_delivery_id"), ["delivery_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_link_tokens_spoc_id"), ["spoc_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("sealed_message", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("smtp_response", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_state_due_at", ["state", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_state_due_at")

    op.drop_table("outbox")
    with op.batch_alter_table("link_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_tokens_spoc_id"))
        batch_op.drop_index(batch_op.f("ix_link_tokens_delivery_id"))

    op.drop_table("link_tokens")
    with op.batch_alter_table("reissues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reissues_provider_id"))

    op.drop_table("reissues")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_spoc_id"))
        batch_op.drop_index(batch_op.f("ix_deliveries_access_code_id"))

    op.drop_table("deliveries")
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.drop_index("ix_challenges_provider_created")
        batch_op.drop_index(batch_op.f("ix_challenges_asked_for_provider_id"))
        batch_op.drop_index(batch_op.f("ix_challenges_answered_code_id"))
        batch_op.drop_index(batch_op.f("ix_challenges_answered_at"))
        batch_op.drop_index(batch_op.f("ix_challenges_access_code_id"))

    op.drop_table("challenges")
    with op.batch_alter_table("verification_locks", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_verification_locks_provider_day_open",
            sqlite_where=sa.text("unlocked_at IS NULL"),
            postgresql_where=sa.text("unlocked_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_verification_locks_provider_id"))

    op.drop_table("verification_locks")
    with op.batch_alter_table("spocs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spocs_provider_id"))

    op.drop_table("spocs")
    with op.batch_alter_table("incident_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_reports_state"))
        batch_op.drop_index(batch_op.f("ix_incident_reports_received_at"))
        batch_op.drop_index(batch_op.f("ix_incident_reports_provider_id"))

    op.drop_table("incident_reports")
    with op.batch_alter_table("access_codes", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_access_codes_provider_cycle_live",
            sqlite_where=sa.text("state != 'revoked'"),
            postgresql_where=sa.text("state != 'revoked'"),
        )
        batch_op.drop_index(batch_op.f("ix_access_codes_provider_id"))
        batch_op.drop_index(batch_op.f("ix_access_codes_cycle"))

    op.drop_table("access_codes")
    op.drop_table("staff_users")
    op.drop_table("scheduler_lease")
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_providers_prime_id"))

    op.drop_table("providers")
    with op.batch_alter_table("one_time_downloads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_one_time_downloads_owner"))

    op.drop_table("one_time_downloads")
    op.drop_table("job_runs")
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_records_at"))
        batch_op.drop_index(batch_op.f("ix_audit_records_action"))

    op.drop_table("audit_records")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_api_tokens_live_name",
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    op.drop_table("api_tokens")
