"""typed move links: a move names its order line, return line and origin move

``stock_move.reason`` used to carry the links as text (``LZB/SO/2026/00001#1``,
``ship LZB/SO/...``, ``RMA LZB/RMA/...#1 ...``) and code parsed it. The links are now indexed
columns, backfilled here from those texts; ``reason`` stays as the note people read.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_GNUM = "CAST(ol.gnum AS VARCHAR(10))"
BACKFILL = [
    # picks: "<order name>#<gnum>"
    f"""UPDATE stock_move SET order_line_id = (
          SELECT ol.id FROM order_line ol JOIN sales_order so ON so.id = ol.order_id
          WHERE stock_move.reason = so.name || '#' || {_GNUM})
        WHERE order_line_id IS NULL AND reason LIKE '%#%' AND reason NOT LIKE 'RMA %'""",
    # shipping and overseas arrival: "ship <order name>", "arrived <order name>"
    """UPDATE stock_move SET order_line_id = (
          SELECT MIN(ol.id) FROM order_line ol JOIN sales_order so ON so.id = ol.order_id
          WHERE ol.product_id = stock_move.product_id
            AND (stock_move.reason = 'ship ' || so.name OR stock_move.reason = 'arrived ' || so.name))
        WHERE order_line_id IS NULL AND (reason LIKE 'ship %' OR reason LIKE 'arrived %')""",
    # returns: "RMA <request name>#<gnum>" with an optional note after a space
    """UPDATE stock_move SET return_line_id = (
          SELECT MIN(rl.id) FROM return_line rl JOIN return_request rr ON rr.id = rl.request_id
          WHERE stock_move.reason = 'RMA ' || rr.name || '#' || CAST(rl.gnum AS VARCHAR(10))
             OR stock_move.reason LIKE 'RMA ' || rr.name || '#' || CAST(rl.gnum AS VARCHAR(10)) || ' %')
        WHERE return_line_id IS NULL AND reason LIKE 'RMA %'""",
    # an overseas arrival comes from the move that put the goods in transit
    """UPDATE stock_move SET origin_move_id = (
          SELECT MIN(m2.id) FROM stock_move m2
          WHERE m2.order_line_id = stock_move.order_line_id AND m2.state = 'done'
            AND m2.to_location_id = stock_move.from_location_id
            AND COALESCE(m2.lot_id, 0) = COALESCE(stock_move.lot_id, 0)
            AND m2.id < stock_move.id)
        WHERE origin_move_id IS NULL AND reason LIKE 'arrived %' AND order_line_id IS NOT NULL""",
]


def upgrade() -> None:
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_line_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('return_line_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('origin_move_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_stock_move_order_line_id_order_line'),
                                    'order_line', ['order_line_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_stock_move_return_line_id_return_line'),
                                    'return_line', ['return_line_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_stock_move_origin_move_id_stock_move'),
                                    'stock_move', ['origin_move_id'], ['id'])
        batch_op.create_index('ix_stock_move_order_line', ['order_line_id'], unique=False)
        batch_op.create_index('ix_stock_move_return_line', ['return_line_id'], unique=False)
        batch_op.create_index('ix_stock_move_origin', ['origin_move_id'], unique=False)
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_move_origin')
        batch_op.drop_index('ix_stock_move_return_line')
        batch_op.drop_index('ix_stock_move_order_line')
        batch_op.drop_constraint(batch_op.f('fk_stock_move_origin_move_id_stock_move'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_stock_move_return_line_id_return_line'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_stock_move_order_line_id_order_line'),
                                 type_='foreignkey')
        batch_op.drop_column('origin_move_id')
        batch_op.drop_column('return_line_id')
        batch_op.drop_column('order_line_id')
