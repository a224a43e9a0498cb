"""dosage history of homework; needles, retention, electro-acupuncture and adverse events

Revision ID: c7d2e4f6a8b0
Revises: c4d6e8f0a2b3
Create Date: 2026-11-23 16:30:00

"""

import sqlalchemy as sa
from alembic import op

import backend.models._types

revision = "c7d2e4f6a8b0"
down_revision = "c4d6e8f0a2b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assignment_dose",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("sets", sa.Integer(), nullable=True),
        sa.Column("reps", sa.Integer(), nullable=True),
        sa.Column("hold_seconds", sa.Integer(), nullable=True),
        sa.Column("times_per_day", sa.Integer(), nullable=False),
        sa.Column("days_per_week", sa.Integer(), nullable=False),
        sa.Column("created_at", backend.models._types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
            name=op.f("fk_assignment_dose_assignment_id_assignment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_dose")),
        sa.UniqueConstraint(
            "assignment_id",
            "effective_from",
            name=op.f("uq_assignment_dose_assignment_id_effective_from"),
        ),
    )
    with op.batch_alter_table("assignment_dose", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignment_dose_assignment_id"), ["assignment_id"], unique=False
        )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needles", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retention_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("electro", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("adverse_events", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("adverse_note", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("adverse_note")
        batch_op.drop_column("adverse_events")
        batch_op.drop_column("electro")
        batch_op.drop_column("retention_minutes")
        batch_op.drop_column("needles")
    with op.batch_alter_table("assignment_dose", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_dose_assignment_id"))
    op.drop_table("assignment_dose")
