"""trace, recall and the account book: recalls block lots; the book has kinds and "in" rows

``recall`` and ``recall_lot`` hold recalls and the lots they block (reservation and picking
skip a blocked lot). Trace follows a lot through ``stock_move``, ``quant`` and
``tally_scan`` and a parcel through its waybill number: those columns get indexes.

``account_book_entry`` gets its kind (receipt, opening, return, shipment, write_off, scrap,
destruction), the quantity in the first legal unit, and the stock document that wrote it.
Existing "out" rows were written by shipping: they become ``shipment`` rows linked to the
shipping document of their order. "In" rows never were written; they are derived here from
the ledger: every done move of a customs decision (or an opening balance) that brought goods
into ``bonded`` stock in a stocked location of a warehouse with an account book, one row per
document and product, under the declaration the document names.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 22:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

KINDS = ('receipt', 'opening', 'return', 'shipment', 'write_off', 'scrap', 'destruction')

BACKFILL = [
    """UPDATE account_book_entry SET
          document_id = (SELECT MIN(d.id) FROM stock_document d
                         WHERE d.kind = 'ship' AND d.origin = account_book_entry.reference),
          legal_unit = (SELECT p.legal_unit1 FROM product p
                        WHERE p.id = account_book_entry.product_id),
          legal_qty = account_book_entry.qty * (SELECT COALESCE(p.legal_factor1, 1)
                                                FROM product p
                                                WHERE p.id = account_book_entry.product_id)""",
    """INSERT INTO account_book_entry (ems_no, product_id, item_record_no, direction, kind,
                                       qty, legal_qty, legal_unit, reference, document_id,
                                       booked_at)
       SELECT w.ems_no, m.product_id, p.item_record_no, 'in',
              CASE WHEN d.kind = 'opening' THEN 'opening'
                   WHEN d.kind IN ('return', 'return_restock') THEN 'return'
                   ELSE 'receipt' END,
              SUM(m.quantity), SUM(m.quantity) * COALESCE(p.legal_factor1, 1), p.legal_unit1,
              COALESCE(d.origin, d.name), d.id, MAX(COALESCE(d.done_at, m.done_at))
       FROM stock_move m
       JOIN stock_document d ON d.id = m.document_id
       JOIN location l ON l.id = m.to_location_id
       JOIN location fl ON fl.id = m.from_location_id
       JOIN warehouse w ON w.id = l.warehouse_id
       JOIN product p ON p.id = m.product_id
       WHERE m.state = 'done' AND d.kind IN ('customs', 'opening', 'return', 'return_restock')
         AND m.to_customs_status = 'bonded' AND l.usage IN ('internal', 'customs')
         AND w.ems_no IS NOT NULL
         AND NOT (m.customs_status = 'bonded' AND fl.usage IN ('internal', 'customs')
                  AND fl.warehouse_id = l.warehouse_id)
       GROUP BY w.ems_no, m.product_id, p.item_record_no, d.kind, d.origin, d.name, d.id,
                p.legal_factor1, p.legal_unit1""",
    # What returns took out of bond (scrapped, sent back, cleared as non-bonded) is booked
    # out by its door from this revision on; derived the same way for what came before.
    """INSERT INTO account_book_entry (ems_no, product_id, item_record_no, direction, kind,
                                       qty, legal_qty, legal_unit, reference, document_id,
                                       booked_at)
       SELECT w.ems_no, m.product_id, p.item_record_no, 'out',
              CASE WHEN d.kind = 'return_scrap' THEN 'scrap' ELSE 'write_off' END,
              SUM(m.quantity), SUM(m.quantity) * COALESCE(p.legal_factor1, 1), p.legal_unit1,
              COALESCE(d.origin, d.name), d.id, MAX(COALESCE(d.done_at, m.done_at))
       FROM stock_move m
       JOIN stock_document d ON d.id = m.document_id
       JOIN location fl ON fl.id = m.from_location_id
       JOIN location l ON l.id = m.to_location_id
       JOIN warehouse w ON w.id = fl.warehouse_id
       JOIN product p ON p.id = m.product_id
       WHERE m.state = 'done'
         AND d.kind IN ('return_scrap', 'return_vendor', 'return_nonbonded')
         AND m.customs_status = 'bonded' AND fl.usage IN ('internal', 'customs')
         AND w.ems_no IS NOT NULL
         AND NOT (m.to_customs_status = 'bonded' AND l.usage IN ('internal', 'customs')
                  AND l.warehouse_id = fl.warehouse_id)
       GROUP BY w.ems_no, m.product_id, p.item_record_no, d.kind, d.origin, d.name, d.id,
                p.legal_factor1, p.legal_unit1""",
]


def upgrade() -> None:
    op.create_table(
        'recall',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=True),
        sa.Column('expiry_from', sa.Date(), nullable=True),
        sa.Column('expiry_to', sa.Date(), nullable=True),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('authority', sa.String(length=200), nullable=True),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('close_note', sa.Text(), nullable=True),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'closed')", name=op.f('ck_recall_state')),
        sa.CheckConstraint('expiry_from IS NULL OR expiry_to IS NULL OR expiry_from <= expiry_to',
                           name=op.f('ck_recall_expiry_range')),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'],
                                name=op.f('fk_recall_product_id_product')),
        sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_recall_lot_id_lot')),
        sa.ForeignKeyConstraint(['started_by_id'], ['app_user.id'], ondelete='SET NULL',
                                name=op.f('fk_recall_started_by_id_app_user')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['app_user.id'], ondelete='SET NULL',
                                name=op.f('fk_recall_closed_by_id_app_user')),
        sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], ondelete='SET NULL',
                                name=op.f('fk_recall_created_by_id_app_user')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], ondelete='SET NULL',
                                name=op.f('fk_recall_updated_by_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recall')),
    )
    op.create_index('ix_recall_product_id', 'recall', ['product_id'], unique=False)
    op.create_index('uq_recall_name', 'recall', ['name'], unique=True,
                    sqlite_where=sa.text("name <> '/'"),
                    postgresql_where=sa.text("name <> '/'"))
    op.create_table(
        'recall_lot',
        sa.Column('recall_id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('blocking', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['recall_id'], ['recall.id'], ondelete='CASCADE',
                                name=op.f('fk_recall_lot_recall_id_recall')),
        sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_recall_lot_lot_id_lot')),
        sa.PrimaryKeyConstraint('recall_id', 'lot_id', name=op.f('pk_recall_lot')),
    )
    op.create_index('ix_recall_lot_lot', 'recall_lot', ['lot_id', 'recall_id'], unique=False)
    # Plain index creation: no batch rebuild of stock_move, so the 0010 guards stay.
    op.create_index('ix_stock_move_lot', 'stock_move', ['lot_id'], unique=False)
    op.create_index('ix_quant_lot', 'quant', ['lot_id'], unique=False)
    op.create_index('ix_tally_scan_lot', 'tally_scan', ['lot_id'], unique=False)
    op.create_index('ix_tally_scan_package', 'tally_scan', ['package_id'], unique=False)
    op.create_index('ix_waybill_logistics_no', 'waybill', ['logistics_no'], unique=False)

    with op.batch_alter_table('account_book_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=12), nullable=False,
                                      server_default='shipment'))
        batch_op.add_column(sa.Column('legal_qty', sa.Numeric(16, 3), nullable=True))
        batch_op.add_column(sa.Column('legal_unit', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
    for statement in BACKFILL:
        op.execute(statement)
    with op.batch_alter_table('account_book_entry', schema=None) as batch_op:
        batch_op.alter_column('kind', server_default=None)
        batch_op.create_foreign_key(batch_op.f('fk_account_book_entry_document_id_stock_document'),
                                    'stock_document', ['document_id'], ['id'])
        batch_op.create_index('ix_account_book_entry_document_id', ['document_id'], unique=False)
        batch_op.create_check_constraint('direction', "direction IN ('in', 'out')")
        batch_op.create_check_constraint(
            'kind', "kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")")


def downgrade() -> None:
    # Before 0013 only shipping wrote rows; the upgrade derives the others again from the
    # ledger.
    op.execute("DELETE FROM account_book_entry WHERE kind <> 'shipment'")
    with op.batch_alter_table('account_book_entry', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.drop_constraint('direction', type_='check')
        batch_op.drop_index('ix_account_book_entry_document_id')
        batch_op.drop_constraint(batch_op.f('fk_account_book_entry_document_id_stock_document'),
                                 type_='foreignkey')
        batch_op.drop_column('document_id')
        batch_op.drop_column('legal_unit')
        batch_op.drop_column('legal_qty')
        batch_op.drop_column('kind')
    op.drop_index('ix_waybill_logistics_no', table_name='waybill')
    op.drop_index('ix_tally_scan_package', table_name='tally_scan')
    op.drop_index('ix_tally_scan_lot', table_name='tally_scan')
    op.drop_index('ix_quant_lot', table_name='quant')
    op.drop_index('ix_stock_move_lot', table_name='stock_move')
    op.drop_index('ix_recall_lot_lot', table_name='recall_lot')
    op.drop_table('recall_lot')
    op.drop_index('uq_recall_name', table_name='recall')
    op.drop_index('ix_recall_product_id', table_name='recall')
    op.drop_table('recall')
