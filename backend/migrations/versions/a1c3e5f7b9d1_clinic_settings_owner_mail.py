"""clinic settings, clinic owner, outgoing mail queue

Revision ID: a1c3e5f7b9d1
Revises: 747b0d2ca842
Create Date: 2026-11-23 16:05:00

"""

import sqlalchemy as sa
from alembic import op

import backend.models._types

revision = "a1c3e5f7b9d1"
down_revision = "747b0d2ca842"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(2), nullable=False, server_default="GB"))
        batch_op.add_column(
            sa.Column("emergency_number", sa.String(20), nullable=False, server_default="999")
        )
        batch_op.add_column(
            sa.Column(
                "same_day_advice",
                sa.String(300),
                nullable=False,
                server_default="See a GP today, or call NHS 111.",
            )
        )
        batch_op.add_column(
            sa.Column("escalation_hours", sa.Integer(), nullable=False, server_default="4")
        )
        batch_op.add_column(
            sa.Column("retention_years", sa.Integer(), nullable=False, server_default="8")
        )
        batch_op.add_column(
            sa.Column(
                "two_factor_required", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_owner", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", backend.models._types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_until", backend.models._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", backend.models._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", backend.models._types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_mail_message_clinic_id_clinic"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_mail_message_dedupe_key")),
    )
    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_message_clinic_id"), ["clinic_id"], unique=False
        )
        batch_op.create_index("ix_mail_message_status_next", ["status", "next_attempt_at"])


def downgrade():
    op.drop_table("mail_message")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("is_owner")
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        for name in ("two_factor_required", "retention_years", "escalation_hours",
                     "same_day_advice", "emergency_number", "country"):
            batch_op.drop_column(name)
