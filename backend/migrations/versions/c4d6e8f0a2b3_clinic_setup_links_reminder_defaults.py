"""first-run setup links, a clinic's reminder defaults

Revision ID: c4d6e8f0a2b3
Revises: a1c3e5f7b9d1
Create Date: 2026-11-23 16:00:00

"""

import sqlalchemy as sa
from alembic import op

import backend.models._types

revision = "c4d6e8f0a2b3"
down_revision = "a1c3e5f7b9d1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "setup_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", backend.models._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backend.models._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", backend.models._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinic.id"],
            name=op.f("fk_setup_link_clinic_id_clinic"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setup_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_setup_link_token_hash")),
    )
    with op.batch_alter_table("clinic") as batch_op:
        batch_op.add_column(sa.Column("reminder_defaults", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("clinic") as batch_op:
        batch_op.drop_column("reminder_defaults")
    op.drop_table("setup_link")
