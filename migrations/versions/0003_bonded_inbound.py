"""bonded inbound and customs outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:35:14.734910
"""
from alembic import op
import sqlalchemy as sa
import wms.core.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customs_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_type', sa.String(length=16), nullable=False),
    sa.Column('guid', sa.String(length=36), nullable=False),
    sa.Column('business_key', sa.String(length=60), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('sent_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('return_status', sa.String(length=6), nullable=True),
    sa.Column('return_info', sa.Text(), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'sent', 'accepted', 'released', 'held', 'rejected', 'failed')", name=op.f('ck_customs_message_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_customs_message_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_customs_message_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_customs_message_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customs_message')),
    sa.UniqueConstraint('guid', name=op.f('uq_customs_message_guid'))
    )
    with op.batch_alter_table('customs_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customs_message_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_customs_message_type_key', ['message_type', 'business_key'], unique=False)

    op.create_table('receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('supplier_ref', sa.String(length=60), nullable=True),
    sa.Column('trade_mode', sa.String(length=4), nullable=False),
    sa.Column('transport_mode', sa.String(length=1), nullable=True),
    sa.Column('bill_of_lading', sa.String(length=40), nullable=True),
    sa.Column('air_waybill', sa.String(length=12), nullable=True),
    sa.Column('train_no', sa.String(length=20), nullable=True),
    sa.Column('rail_note_no', sa.String(length=40), nullable=True),
    sa.Column('mail_dispatch_no', sa.String(length=40), nullable=True),
    sa.Column('expected_arrival', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('arrived_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('vehicle_no', sa.String(length=20), nullable=True),
    sa.Column('container_no', sa.String(length=11), nullable=True),
    sa.Column('seal_no', sa.String(length=20), nullable=True),
    sa.Column('tally_closed_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('declared_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'expected', 'arrived', 'tallying', 'tallied', 'declared', 'held', 'released', 'rejected', 'stored', 'cancelled')", name=op.f('ck_receipt_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_receipt_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_receipt_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_receipt_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_receipt_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt'))
    )
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.create_index('ix_receipt_owner_state', ['owner_id', 'state'], unique=False)
        batch_op.create_index('uq_receipt_name', ['name'], unique=True, sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.create_table('customs_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('return_status', sa.String(length=6), nullable=False),
    sa.Column('return_time', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('return_info', sa.Text(), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('received_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['customs_message.id'], name=op.f('fk_customs_receipt_message_id_customs_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customs_receipt'))
    )
    with op.batch_alter_table('customs_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customs_receipt_message_id'), ['message_id'], unique=False)

    op.create_table('entry_declaration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('guid', sa.String(length=36), nullable=False),
    sa.Column('total_value', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('total_net_kg', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('total_gross_kg', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('filed_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'filed', 'decided')", name=op.f('ck_entry_declaration_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_entry_declaration_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['customs_message.id'], name=op.f('fk_entry_declaration_message_id_customs_message')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_entry_declaration_receipt_id_receipt')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_entry_declaration_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entry_declaration')),
    sa.UniqueConstraint('receipt_id', name=op.f('uq_entry_declaration_receipt_id'))
    )
    with op.batch_alter_table('entry_declaration', schema=None) as batch_op:
        batch_op.create_index('uq_entry_declaration_name', ['name'], unique=True, sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.create_table('putaway_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=60), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_putaway_rule_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_putaway_rule_location_id_location')),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_putaway_rule_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_putaway_rule_product_id_product')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_putaway_rule_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_putaway_rule_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_putaway_rule'))
    )
    op.create_table('receipt_discrepancy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('lot_name', sa.String(length=40), nullable=True),
    sa.Column('expected_qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('tallied_qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.CheckConstraint("kind IN ('short', 'over', 'damaged', 'unexpected', 'wrong_lot')", name=op.f('ck_receipt_discrepancy_kind')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_receipt_discrepancy_product_id_product')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_receipt_discrepancy_receipt_id_receipt'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_discrepancy'))
    )
    with op.batch_alter_table('receipt_discrepancy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_discrepancy_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('receipt_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('expected_qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('lot_name', sa.String(length=40), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('sscc', sa.String(length=18), nullable=True),
    sa.CheckConstraint('expected_qty > 0', name=op.f('ck_receipt_line_expected_qty')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_receipt_line_product_id_product')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_receipt_line_receipt_id_receipt'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_line'))
    )
    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_line_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('declaration_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.Integer(), nullable=False),
    sa.Column('gnum', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('item_record_no', sa.String(length=30), nullable=False),
    sa.Column('hs_code', sa.String(length=10), nullable=False),
    sa.Column('gname', sa.String(length=250), nullable=False),
    sa.Column('gmodel', sa.String(length=250), nullable=False),
    sa.Column('origin_country', sa.String(length=3), nullable=False),
    sa.Column('qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('unit', sa.String(length=3), nullable=False),
    sa.Column('qty1', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('unit1', sa.String(length=3), nullable=False),
    sa.Column('qty2', sa.Numeric(precision=16, scale=3), nullable=True),
    sa.Column('unit2', sa.String(length=3), nullable=True),
    sa.Column('price', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('total_price', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('net_kg', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('gross_kg', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('decision', sa.String(length=8), nullable=False),
    sa.Column('decided_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=300), nullable=True),
    sa.CheckConstraint("decision IN ('pending', 'released', 'held', 'rejected')", name=op.f('ck_declaration_line_decision')),
    sa.CheckConstraint('qty > 0', name=op.f('ck_declaration_line_qty')),
    sa.ForeignKeyConstraint(['declaration_id'], ['entry_declaration.id'], name=op.f('fk_declaration_line_declaration_id_entry_declaration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_declaration_line_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_line'))
    )
    with op.batch_alter_table('declaration_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_line_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('tally_scan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('package_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('condition', sa.String(length=8), nullable=False),
    sa.Column('damage_reason', sa.String(length=200), nullable=True),
    sa.Column('photo', sa.String(length=200), nullable=True),
    sa.Column('scanned_by_id', sa.Integer(), nullable=True),
    sa.Column('scanned_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("condition IN ('good', 'damaged')", name=op.f('ck_tally_scan_condition')),
    sa.CheckConstraint('quantity <> 0', name=op.f('ck_tally_scan_quantity')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_tally_scan_lot_id_lot')),
    sa.ForeignKeyConstraint(['package_id'], ['package.id'], name=op.f('fk_tally_scan_package_id_package')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_tally_scan_product_id_product')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_tally_scan_receipt_id_receipt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scanned_by_id'], ['app_user.id'], name=op.f('fk_tally_scan_scanned_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tally_scan'))
    )
    with op.batch_alter_table('tally_scan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tally_scan_receipt_id'), ['receipt_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tally_scan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tally_scan_receipt_id'))

    op.drop_table('tally_scan')
    with op.batch_alter_table('declaration_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_line_declaration_id'))

    op.drop_table('declaration_line')
    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_line_receipt_id'))

    op.drop_table('receipt_line')
    with op.batch_alter_table('receipt_discrepancy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_discrepancy_receipt_id'))

    op.drop_table('receipt_discrepancy')
    op.drop_table('putaway_rule')
    with op.batch_alter_table('entry_declaration', schema=None) as batch_op:
        batch_op.drop_index('uq_entry_declaration_name', sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.drop_table('entry_declaration')
    with op.batch_alter_table('customs_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customs_receipt_message_id'))

    op.drop_table('customs_receipt')
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index('uq_receipt_name', sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))
        batch_op.drop_index('ix_receipt_owner_state')

    op.drop_table('receipt')
    with op.batch_alter_table('customs_message', schema=None) as batch_op:
        batch_op.drop_index('ix_customs_message_type_key')
        batch_op.drop_index(batch_op.f('ix_customs_message_owner_id'))

    op.drop_table('customs_message')
