"""inbound doors: discrepancy notes kept as a code and parameters

The note of a discrepancy used to be an English sentence ("not on the advice", "advised
lot(s): L1, L2", "damaged on arrival") shown as is on Chinese pages. It is now a code and
its parameters, translated where it is shown; the old sentences are read back into codes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:20:00
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LOTS_PREFIX = "advised lot(s): "
SENTENCES = {"not on the advice": "not_advised", "damaged on arrival": "damaged_on_arrival"}


def _code(note: str | None) -> tuple[str | None, dict | None]:
    if not note:
        return None, None
    if note.startswith(LOTS_PREFIX):
        return "advised_lots", {"lots": note[len(LOTS_PREFIX):]}
    return SENTENCES.get(note), None


def _sentence(code: str | None, params: str | dict | None) -> str | None:
    if code == "advised_lots":
        values = json.loads(params) if isinstance(params, str) else (params or {})
        return LOTS_PREFIX + values.get("lots", "")
    return {v: k for k, v in SENTENCES.items()}.get(code)


def upgrade() -> None:
    with op.batch_alter_table('receipt_discrepancy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_code', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('note_params', sa.JSON(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, note FROM receipt_discrepancy "
                                "WHERE note IS NOT NULL")).all()
    updates = [{"i": row_id, "c": code, "p": params}
               for row_id, note in rows for code, params in [_code(note)]]
    if updates:
        table = sa.table('receipt_discrepancy', sa.column('id', sa.Integer),
                         sa.column('note_code', sa.String),
                         sa.column('note_params', sa.JSON(none_as_null=True)))
        bind.execute(table.update().where(table.c.id == sa.bindparam('i')).values(
            note_code=sa.bindparam('c'),
            note_params=sa.bindparam('p', type_=sa.JSON(none_as_null=True))),
            updates)
    with op.batch_alter_table('receipt_discrepancy', schema=None) as batch_op:
        batch_op.drop_column('note')


def downgrade() -> None:
    with op.batch_alter_table('receipt_discrepancy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.String(length=300), nullable=True))
    bind = op.get_bind()
    table = sa.table('receipt_discrepancy', sa.column('id', sa.Integer),
                     sa.column('note_code', sa.String), sa.column('note_params', sa.JSON),
                     sa.column('note', sa.String))
    rows = bind.execute(sa.select(table.c.id, table.c.note_code, table.c.note_params)
                        .where(table.c.note_code.is_not(None))).all()
    if rows:
        bind.execute(table.update().where(table.c.id == sa.bindparam('i')).values(
            note=sa.bindparam('n')),
            [{"i": row_id, "n": _sentence(code, params)} for row_id, code, params in rows])
    with op.batch_alter_table('receipt_discrepancy', schema=None) as batch_op:
        batch_op.drop_column('note_params')
        batch_op.drop_column('note_code')
