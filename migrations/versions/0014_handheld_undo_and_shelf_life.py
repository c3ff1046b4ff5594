"""handheld: an undone tally scan is reversed, not deleted; products carry a minimum shelf
life the tally warns against

``tally_scan.reverses_id`` links a reversing scan to the scan it undoes (unique: a scan is
undone once). ``product.min_shelf_life_days`` is how long goods must still keep when they
arrive; nothing to backfill (no value means no check).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 22:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tally_scan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reverses_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_tally_scan_reverses_id'),
                                          ['reverses_id'])
        batch_op.create_foreign_key(batch_op.f('fk_tally_scan_reverses_id_tally_scan'),
                                    'tally_scan', ['reverses_id'], ['id'])
    # A plain ADD/DROP COLUMN: a batch rebuild of ``product`` would trip the foreign keys
    # that point at it on SQLite.
    op.add_column('product', sa.Column('min_shelf_life_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('product', 'min_shelf_life_days')
    with op.batch_alter_table('tally_scan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tally_scan_reverses_id_tally_scan'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_tally_scan_reverses_id'), type_='unique')
        batch_op.drop_column('reverses_id')
