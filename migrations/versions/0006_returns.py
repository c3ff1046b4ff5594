"""returns centre

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:08:18.912413
"""
from alembic import op
import sqlalchemy as sa
import wms.core.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('return_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('arrived_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('open', 'arrived', 'cancelled')", name=op.f('ck_return_batch_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_return_batch_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['stock_document.id'], name=op.f('fk_return_batch_document_id_stock_document')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_return_batch_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_return_batch_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_batch'))
    )
    with op.batch_alter_table('return_batch', schema=None) as batch_op:
        batch_op.create_index('uq_return_batch_name', ['name'], unique=True, sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.create_table('return_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('platform_return_no', sa.String(length=60), nullable=True),
    sa.Column('return_waybill_no', sa.String(length=60), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('buyer_choice', sa.String(length=10), nullable=False),
    sa.Column('requested_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('apply_by', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('arrive_by', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('received_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('late_reason', sa.String(length=200), nullable=True),
    sa.Column('refund_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("buyer_choice IN ('refund', 'exchange')", name=op.f('ck_return_request_buyer_choice')),
    sa.CheckConstraint("state IN ('requested', 'received', 'inspected', 'closed', 'cancelled')", name=op.f('ck_return_request_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_return_request_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_return_request_order_id_sales_order')),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_return_request_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_return_request_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_return_request_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_request')),
    sa.UniqueConstraint('platform_return_no', name=op.f('uq_return_request_platform_return_no'))
    )
    with op.batch_alter_table('return_request', schema=None) as batch_op:
        batch_op.create_index('ix_return_request_order', ['order_id'], unique=False)
        batch_op.create_index('ix_return_request_owner_state', ['owner_id', 'state'], unique=False)
        batch_op.create_index('uq_return_request_name', ['name'], unique=True, sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.create_table('return_declaration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('invt_no', sa.String(length=18), nullable=False),
    sa.Column('declared_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('return_info', sa.String(length=300), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('sent', 'approved', 'rejected')", name=op.f('ck_return_declaration_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_return_declaration_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['customs_message.id'], name=op.f('fk_return_declaration_message_id_customs_message')),
    sa.ForeignKeyConstraint(['request_id'], ['return_request.id'], name=op.f('fk_return_declaration_request_id_return_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_return_declaration_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_declaration')),
    sa.UniqueConstraint('message_id', name=op.f('uq_return_declaration_message_id'))
    )
    with op.batch_alter_table('return_declaration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_declaration_request_id'), ['request_id'], unique=False)

    op.create_table('return_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('gnum', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('grade', sa.String(length=10), nullable=True),
    sa.Column('grade_reason', sa.String(length=200), nullable=True),
    sa.Column('photo', sa.String(length=200), nullable=True),
    sa.Column('graded_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('disposition', sa.String(length=20), nullable=True),
    sa.Column('disposition_state', sa.String(length=10), nullable=False),
    sa.Column('disposition_reason', sa.String(length=300), nullable=True),
    sa.Column('disposed_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('exchange_order_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("disposition IS NULL OR disposition IN ('restock', 'exchange', 'scrap', 'return_to_vendor', 'non_bonded')", name=op.f('ck_return_line_disposition')),
    sa.CheckConstraint("disposition_state IN ('none', 'pending', 'to_approve', 'done')", name=op.f('ck_return_line_disposition_state')),
    sa.CheckConstraint("grade IS NULL OR grade IN ('new', 'open_box', 'damaged', 'scrap')", name=op.f('ck_return_line_grade')),
    sa.CheckConstraint('qty > 0', name=op.f('ck_return_line_qty')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['app_user.id'], name=op.f('fk_return_line_approved_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_return_line_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['stock_document.id'], name=op.f('fk_return_line_document_id_stock_document')),
    sa.ForeignKeyConstraint(['exchange_order_id'], ['sales_order.id'], name=op.f('fk_return_line_exchange_order_id_sales_order')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_line.id'], name=op.f('fk_return_line_order_line_id_order_line')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_return_line_product_id_product')),
    sa.ForeignKeyConstraint(['request_id'], ['return_request.id'], name=op.f('fk_return_line_request_id_return_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_return_line_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_line')),
    sa.UniqueConstraint('request_id', 'gnum', name=op.f('uq_return_line_request_id_gnum'))
    )
    with op.batch_alter_table('return_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_line_request_id'), ['request_id'], unique=False)

    op.create_table('return_parcel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('matched_by', sa.String(length=20), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('photo', sa.String(length=200), nullable=True),
    sa.Column('scanned_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('matched_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('arrived_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('matched', 'unidentified', 'arrived')", name=op.f('ck_return_parcel_state')),
    sa.ForeignKeyConstraint(['batch_id'], ['return_batch.id'], name=op.f('fk_return_parcel_batch_id_return_batch')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_return_parcel_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_return_parcel_order_id_sales_order')),
    sa.ForeignKeyConstraint(['request_id'], ['return_request.id'], name=op.f('fk_return_parcel_request_id_return_request')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_return_parcel_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_parcel')),
    sa.UniqueConstraint('code', name=op.f('uq_return_parcel_code'))
    )
    with op.batch_alter_table('return_parcel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_parcel_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_parcel_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_return_parcel_state', ['state'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('return_parcel', schema=None) as batch_op:
        batch_op.drop_index('ix_return_parcel_state')
        batch_op.drop_index(batch_op.f('ix_return_parcel_request_id'))
        batch_op.drop_index(batch_op.f('ix_return_parcel_batch_id'))

    op.drop_table('return_parcel')
    with op.batch_alter_table('return_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_line_request_id'))

    op.drop_table('return_line')
    with op.batch_alter_table('return_declaration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_declaration_request_id'))

    op.drop_table('return_declaration')
    with op.batch_alter_table('return_request', schema=None) as batch_op:
        batch_op.drop_index('uq_return_request_name', sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))
        batch_op.drop_index('ix_return_request_owner_state')
        batch_op.drop_index('ix_return_request_order')

    op.drop_table('return_request')
    with op.batch_alter_table('return_batch', schema=None) as batch_op:
        batch_op.drop_index('uq_return_batch_name', sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.drop_table('return_batch')
    # ### end Alembic commands ###
