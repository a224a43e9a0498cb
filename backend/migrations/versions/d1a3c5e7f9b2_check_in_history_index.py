"""a patient's check-ins by time, newest first, without a sort

Revision ID: d1a3c5e7f9b2
Revises: c4e6a8b0d2f4
Create Date: 2026-11-23 18:40:00

"""

from alembic import op

revision = "d1a3c5e7f9b2"
down_revision = "c4e6a8b0d2f4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_in_patient_recorded", ["patient_id", "recorded_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_index("ix_check_in_patient_recorded")
