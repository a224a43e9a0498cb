"""clinical safety: graded red flags, alert actions and escalation, intake, closed accounts

Revision ID: c4e6a8b0d2f3
Revises: c7d2e4f6a8b0
Create Date: 2026-11-23 16:10:00

"""

import sqlalchemy as sa
from alembic import op

import backend.models._types

revision = "c4e6a8b0d2f3"
down_revision = "c7d2e4f6a8b0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.alter_column("leg_pain", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("back_pain", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(
            sa.Column("device_recorded_at", backend.models._types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("urgency", sa.String(10), nullable=True))
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgency", sa.String(10), nullable=True))
        batch_op.add_column(
            sa.Column("escalated_at", backend.models._types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("action", sa.String(30), nullable=True))
        batch_op.add_column(sa.Column("action_note", sa.Text(), nullable=True))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed_at", backend.models._types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("disclaimer_seen_at", backend.models._types.UTCDateTime(), nullable=True)
        )
    op.create_table(
        "intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", backend.models._types.UTCDateTime(), nullable=False),
        sa.Column("reviewed_at", backend.models._types.UTCDateTime(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["user.id"],
            name=op.f("fk_intake_entered_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["user.id"], name=op.f("fk_intake_patient_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user.id"],
            name=op.f("fk_intake_reviewed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake")),
    )
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_patient_id"), ["patient_id"], unique=True)


def downgrade():
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_patient_id"))
    op.drop_table("intake")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("disclaimer_seen_at")
        batch_op.drop_column("closed_at")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("action_note")
        batch_op.drop_column("action")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("urgency")
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_column("urgency")
        batch_op.drop_column("device_recorded_at")
        batch_op.alter_column("back_pain", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("leg_pain", existing_type=sa.Integer(), nullable=False)
