"""database guards: what must not change is refused by the database itself

The audit trail is insert-only and a done stock move is a ledger line that is never
rewritten: until now only the code kept to that, and one SQL statement could change either.
Triggers now refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) of ``audit_event`` and
any UPDATE of a ``stock_move`` row whose state is 'done' (a reserved move becoming done is
the ledger's normal path and stays allowed). On SQLite a batch-mode rebuild of either table
drops its triggers: a later migration that rebuilds them must create the triggers again.

``app_user.session_generation`` lets logout, a password change or a lock end every session
of a user at once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

AUDIT_MESSAGE = "audit_event rows are never changed or deleted"
MOVE_MESSAGE = "a done stock_move is never changed"

PG_UPGRADE = [
    f"""CREATE FUNCTION wms_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{AUDIT_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER audit_event_insert_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION wms_refuse_audit_change()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION wms_refuse_audit_change()""",
    f"""CREATE FUNCTION wms_refuse_done_move_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MOVE_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER stock_move_done_is_final BEFORE UPDATE ON stock_move
    FOR EACH ROW WHEN (OLD.state = 'done') EXECUTE FUNCTION wms_refuse_done_move_change()""",
]
PG_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS stock_move_done_is_final ON stock_move",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_insert_only ON audit_event",
    "DROP FUNCTION IF EXISTS wms_refuse_done_move_change()",
    "DROP FUNCTION IF EXISTS wms_refuse_audit_change()",
]
SQLITE_UPGRADE = [
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, '{AUDIT_MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, '{AUDIT_MESSAGE}'); END""",
    f"""CREATE TRIGGER stock_move_done_is_final BEFORE UPDATE ON stock_move
    WHEN OLD.state = 'done' BEGIN SELECT RAISE(ABORT, '{MOVE_MESSAGE}'); END""",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS stock_move_done_is_final",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TRIGGER IF EXISTS audit_event_no_update",
]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False,
                                      server_default='0'))
    for statement in PG_UPGRADE if _postgresql() else SQLITE_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in PG_DOWNGRADE if _postgresql() else SQLITE_DOWNGRADE:
        op.execute(statement)
    # Not a batch rebuild: dropping app_user to copy it would fire ON DELETE SET NULL
    # on every audit row that names a user (SQLite 3.35+ drops a column in place).
    op.execute("ALTER TABLE app_user DROP COLUMN session_generation")
