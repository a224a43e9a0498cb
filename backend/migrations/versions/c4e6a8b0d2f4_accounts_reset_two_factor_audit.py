"""password resets, two-factor login, recovery codes, an append-only audit log

Revision ID: c4e6a8b0d2f4
Revises: c4e6a8b0d2f3
Create Date: 2026-11-23 16:10:00

"""

import sqlalchemy as sa
from alembic import op

import backend.models._types

revision = "c4e6a8b0d2f4"
down_revision = "c4e6a8b0d2f3"
branch_labels = None
depends_on = None

UTC = backend.models._types.UTCDateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("two_factor_since", UTC, nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_password_reset_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_token_hash")),
    )
    with op.batch_alter_table("password_reset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_reset_user_id"), ["user_id"], unique=False)
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_recovery_code_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"], unique=False)
    _append_only_audit()


SQLITE_TRIGGERS = [
    # Any column but actor_id: refused. actor_id only to NULL (its account was deleted).
    """CREATE TRIGGER audit_event_no_update
    BEFORE UPDATE OF id, at, clinic_id, patient_id, action, target, details, ip ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit events cannot be changed'); END""",
    """CREATE TRIGGER audit_event_actor_only_forgotten
    BEFORE UPDATE OF actor_id ON audit_event WHEN NEW.actor_id IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'audit events cannot be changed'); END""",
    # Deleting needs the app's between_audit_erase() to say yes (see database.audit_erase):
    # any other client, lacking the function, is refused too.
    """CREATE TRIGGER audit_event_no_delete
    BEFORE DELETE ON audit_event WHEN between_audit_erase() IS NOT 1
    BEGIN SELECT RAISE(ABORT, 'audit events cannot be deleted'); END""",
]
POSTGRES_FUNCTION = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF current_setting('between.audit_erase', true) = 'on' THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events cannot be deleted';
  END IF;
  IF NEW.actor_id IS NULL AND (NEW.id, NEW.at, NEW.clinic_id, NEW.patient_id, NEW.action,
      NEW.target, NEW.details::text, NEW.ip) IS NOT DISTINCT FROM (OLD.id, OLD.at,
      OLD.clinic_id, OLD.patient_id, OLD.action, OLD.target, OLD.details::text, OLD.ip) THEN
    RETURN NEW;  -- the actor's account was deleted: forgotten, the rest kept
  END IF;
  RAISE EXCEPTION 'audit events cannot be changed';
END $$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
"""


def _append_only_audit():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        for name in ("audit_event_no_update", "audit_event_actor_only_forgotten",
                     "audit_event_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("recovery_code")
    op.drop_table("password_reset")
    with op.batch_alter_table("user", schema=None) as batch_op:
        for name in ("totp_last_step", "two_factor_since", "totp_secret"):
            batch_op.drop_column(name)
