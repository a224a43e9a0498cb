"""the patients list's per-patient figures, kept between views

Revision ID: d5f7a9b1c3e5
Revises: d1a3c5e7f9b2
Create Date: 2026-11-23 18:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d5f7a9b1c3e5"
down_revision = "d1a3c5e7f9b2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "patient_summary",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("computed_generation", sa.Integer(), nullable=True),
        sa.Column("computed_for", sa.Date(), nullable=True),
        sa.Column("tz", sa.String(64), nullable=True),
        sa.Column("baseline_leg", sa.Double(), nullable=True),
        sa.Column("recent_leg", sa.Double(), nullable=True),
        sa.Column("worsening", sa.Boolean(), nullable=True),
        sa.Column("last_checkin", sa.Date(), nullable=True),
        sa.Column("adherence", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["user.id"],
            name=op.f("fk_patient_summary_patient_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patient_summary")),
    )


def downgrade():
    op.drop_table("patient_summary")
