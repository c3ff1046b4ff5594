"""cross-border outbound

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 08:49:52.613035
"""
from alembic import op
import sqlalchemy as sa
import wms.core.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sales_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('trade_mode', sa.String(length=4), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('logistics_id', sa.Integer(), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('order_no', sa.String(length=60), nullable=False),
    sa.Column('ordered_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('buyer_reg_no', sa.String(length=60), nullable=False),
    sa.Column('buyer_name', sa.String(length=60), nullable=False),
    sa.Column('buyer_id_type', sa.String(length=1), nullable=False),
    sa.Column('buyer_id_number', sa.String(length=60), nullable=False),
    sa.Column('buyer_phone', sa.String(length=30), nullable=False),
    sa.Column('consignee', sa.String(length=100), nullable=False),
    sa.Column('consignee_phone', sa.String(length=50), nullable=False),
    sa.Column('consignee_address', sa.String(length=200), nullable=False),
    sa.Column('consignee_district', sa.String(length=6), nullable=True),
    sa.Column('country', sa.String(length=3), nullable=False),
    sa.Column('goods_value', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('freight', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('discount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('tax_total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('actual_paid', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('refunded', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('pay_code', sa.String(length=18), nullable=True),
    sa.Column('pay_name', sa.String(length=100), nullable=True),
    sa.Column('pay_transaction_id', sa.String(length=60), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('hold_reason', sa.String(length=300), nullable=True),
    sa.Column('destination_warehouse_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('received', 'declared', 'released', 'held', 'rejected', 'picking', 'picked', 'packed', 'shipped', 'cancelled')", name=op.f('ck_sales_order_state')),
    sa.CheckConstraint("trade_mode IN ('1210', '9610', '9710', '9810')", name=op.f('ck_sales_order_trade_mode')),
    sa.CheckConstraint('goods_value >= 0 AND freight >= 0 AND discount >= 0 AND tax_total >= 0 AND actual_paid >= 0', name=op.f('ck_sales_order_amounts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_sales_order_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['destination_warehouse_id'], ['warehouse.id'], name=op.f('fk_sales_order_destination_warehouse_id_warehouse')),
    sa.ForeignKeyConstraint(['logistics_id'], ['enterprise.id'], name=op.f('fk_sales_order_logistics_id_enterprise')),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_sales_order_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['platform_id'], ['enterprise.id'], name=op.f('fk_sales_order_platform_id_enterprise')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_sales_order_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_sales_order_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order')),
    sa.UniqueConstraint('platform_id', 'order_no', name=op.f('uq_sales_order_platform_id_order_no'))
    )
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index('ix_sales_order_buyer', ['buyer_id_number', 'ordered_at'], unique=False)
        batch_op.create_index('ix_sales_order_owner_state', ['owner_id', 'state'], unique=False)
        batch_op.create_index('uq_sales_order_name', ['name'], unique=True, sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.create_table('account_book_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ems_no', sa.String(length=20), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('item_record_no', sa.String(length=30), nullable=True),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('booked_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_account_book_entry_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_book_entry'))
    )
    with op.batch_alter_table('account_book_entry', schema=None) as batch_op:
        batch_op.create_index('ix_account_book_ems_product', ['ems_no', 'product_id'], unique=False)

    op.create_table('inventory_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('pre_no', sa.String(length=18), nullable=True),
    sa.Column('invt_no', sa.String(length=18), nullable=True),
    sa.Column('released_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'sent', 'released', 'held', 'rejected', 'cancelled')", name=op.f('ck_inventory_list_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_inventory_list_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['customs_message.id'], name=op.f('fk_inventory_list_message_id_customs_message')),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_inventory_list_order_id_sales_order')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_inventory_list_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_list')),
    sa.UniqueConstraint('order_id', name=op.f('uq_inventory_list_order_id'))
    )
    with op.batch_alter_table('inventory_list', schema=None) as batch_op:
        batch_op.create_index('uq_inventory_list_name', ['name'], unique=True, sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.create_table('order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('gnum', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('price', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('total_price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('tax', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('picked_qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('returned_qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.CheckConstraint('picked_qty >= 0', name=op.f('ck_order_line_picked_qty')),
    sa.CheckConstraint('qty > 0', name=op.f('ck_order_line_qty')),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_order_line_order_id_sales_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_order_line_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_line'))
    )
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_order_id'), ['order_id'], unique=False)

    op.create_table('parcel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('tracking_no', sa.String(length=40), nullable=False),
    sa.Column('weight_kg', sa.Numeric(precision=10, scale=3), nullable=False),
    sa.Column('shipped_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_parcel_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_parcel_order_id_sales_order')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_parcel_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parcel')),
    sa.UniqueConstraint('tracking_no', name=op.f('uq_parcel_tracking_no'))
    )
    with op.batch_alter_table('parcel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parcel_order_id'), ['order_id'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('pay_code', sa.String(length=18), nullable=False),
    sa.Column('pay_name', sa.String(length=100), nullable=False),
    sa.Column('pay_transaction_id', sa.String(length=60), nullable=False),
    sa.Column('pay_type', sa.String(length=1), nullable=False),
    sa.Column('payer_id_type', sa.String(length=1), nullable=False),
    sa.Column('payer_id_number', sa.String(length=60), nullable=False),
    sa.Column('payer_name', sa.String(length=60), nullable=False),
    sa.Column('telephone', sa.String(length=30), nullable=False),
    sa.Column('amount_paid', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_payment_order_id_sales_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('order_id', name=op.f('uq_payment_order_id')),
    sa.UniqueConstraint('pay_code', 'pay_transaction_id', name=op.f('uq_payment_pay_code_pay_transaction_id'))
    )
    op.create_table('wave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('open', 'done', 'cancelled')", name=op.f('ck_wave_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_wave_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['stock_document.id'], name=op.f('fk_wave_document_id_stock_document')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_wave_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_wave_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wave'))
    )
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.create_index('uq_wave_name', ['name'], unique=True, sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.create_table('waybill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('logistics_code', sa.String(length=18), nullable=False),
    sa.Column('logistics_name', sa.String(length=100), nullable=False),
    sa.Column('logistics_no', sa.String(length=60), nullable=False),
    sa.Column('bill_no', sa.String(length=37), nullable=True),
    sa.Column('freight', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('insured_fee', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('weight_kg', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('pack_no', sa.Integer(), nullable=False),
    sa.Column('goods_info', sa.String(length=200), nullable=True),
    sa.Column('consignee', sa.String(length=100), nullable=False),
    sa.Column('consignee_phone', sa.String(length=50), nullable=False),
    sa.Column('consignee_address', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_waybill_order_id_sales_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waybill')),
    sa.UniqueConstraint('logistics_code', 'logistics_no', name=op.f('uq_waybill_logistics_code_logistics_no')),
    sa.UniqueConstraint('order_id', name=op.f('uq_waybill_order_id'))
    )
    op.create_table('wave_order',
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_wave_order_order_id_sales_order')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_wave_order_wave_id_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('wave_id', 'order_id', name=op.f('pk_wave_order'))
    )
    op.create_table('short_pick',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('move_id', sa.Integer(), nullable=False),
    sa.Column('expected_qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('picked_qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('recorded_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['move_id'], ['stock_move.id'], name=op.f('fk_short_pick_move_id_stock_move')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_short_pick_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_short_pick'))
    )
    with op.batch_alter_table('short_pick', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_short_pick_wave_id'), ['wave_id'], unique=False)

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_rate', sa.Numeric(precision=6, scale=4), server_default='0.13', nullable=False))
        batch_op.add_column(sa.Column('consumption_tax_rate', sa.Numeric(precision=6, scale=4), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_product_tax_rates'),
            'vat_rate >= 0 AND vat_rate < 1 AND consumption_tax_rate >= 0 AND consumption_tax_rate < 1')



def downgrade() -> None:
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_product_tax_rates'), type_='check')
        batch_op.drop_column('consumption_tax_rate')
        batch_op.drop_column('vat_rate')

    with op.batch_alter_table('short_pick', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_short_pick_wave_id'))

    op.drop_table('short_pick')
    op.drop_table('wave_order')
    op.drop_table('waybill')
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_index('uq_wave_name', sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.drop_table('wave')
    op.drop_table('payment')
    with op.batch_alter_table('parcel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parcel_order_id'))

    op.drop_table('parcel')
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_line_order_id'))

    op.drop_table('order_line')
    with op.batch_alter_table('inventory_list', schema=None) as batch_op:
        batch_op.drop_index('uq_inventory_list_name', sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.drop_table('inventory_list')
    with op.batch_alter_table('account_book_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_account_book_ems_product')

    op.drop_table('account_book_entry')
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index('uq_sales_order_name', sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))
        batch_op.drop_index('ix_sales_order_owner_state')
        batch_op.drop_index('ix_sales_order_buyer')

    op.drop_table('sales_order')
