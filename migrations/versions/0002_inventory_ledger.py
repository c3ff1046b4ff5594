"""inventory ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 08:25:37.054706
"""
from alembic import op
import sqlalchemy as sa
import wms.core.types
from datetime import datetime, timezone


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

CODES = [
    {'code_table': 'unit', 'code': '007', 'name_zh': '个', 'name_en': 'piece'},
    {'code_table': 'unit', 'code': '011', 'name_zh': '件', 'name_en': 'item'},
    {'code_table': 'unit', 'code': '035', 'name_zh': '千克', 'name_en': 'kilogram'},
    {'code_table': 'unit', 'code': '036', 'name_zh': '克', 'name_en': 'gram'},
    {'code_table': 'unit', 'code': '120', 'name_zh': '箱', 'name_en': 'box'},
    {'code_table': 'unit', 'code': '122', 'name_zh': '罐', 'name_en': 'can'},
    {'code_table': 'unit', 'code': '140', 'name_zh': '盒', 'name_en': 'case'},
    {'code_table': 'unit', 'code': '142', 'name_zh': '瓶', 'name_en': 'bottle'},
    {'code_table': 'country', 'code': '142', 'name_zh': '中国', 'name_en': 'China'},
    {'code_table': 'country', 'code': '116', 'name_zh': '日本', 'name_en': 'Japan'},
    {'code_table': 'country', 'code': '133', 'name_zh': '韩国', 'name_en': 'Korea'},
    {'code_table': 'country', 'code': '110', 'name_zh': '中国香港', 'name_en': 'Hong Kong, China'},
    {'code_table': 'country', 'code': '304', 'name_zh': '德国', 'name_en': 'Germany'},
    {'code_table': 'trade_mode', 'code': '1210', 'name_zh': '保税电商', 'name_en': 'Bonded e-commerce import'},
    {'code_table': 'trade_mode', 'code': '9610', 'name_zh': '电子商务', 'name_en': 'Cross-border e-commerce B2C'},
    {'code_table': 'trade_mode', 'code': '9710', 'name_zh': '跨境电商B2B直接出口', 'name_en': 'B2B direct export'},
    {'code_table': 'trade_mode', 'code': '9810', 'name_zh': '跨境电商出口海外仓', 'name_en': 'B2B export to overseas warehouse'},
    {'code_table': 'trade_mode', 'code': '0110', 'name_zh': '一般贸易', 'name_en': 'General trade'},
    {'code_table': 'transport_mode', 'code': '2', 'name_zh': '水路运输', 'name_en': 'Waterway'},
    {'code_table': 'transport_mode', 'code': '3', 'name_zh': '铁路运输', 'name_en': 'Rail'},
    {'code_table': 'transport_mode', 'code': '4', 'name_zh': '公路运输', 'name_en': 'Road'},
    {'code_table': 'transport_mode', 'code': '5', 'name_zh': '航空运输', 'name_en': 'Air'},
    {'code_table': 'transport_mode', 'code': '6', 'name_zh': '邮件运输', 'name_en': 'Mail'},
    {'code_table': 'transport_mode', 'code': '7', 'name_zh': '保税区', 'name_en': 'Bonded zone'},
    {'code_table': 'transport_mode', 'code': '8', 'name_zh': '保税仓库', 'name_en': 'Bonded warehouse'},
    {'code_table': 'transport_mode', 'code': '9', 'name_zh': '其他运输', 'name_en': 'Other'},
    {'code_table': 'transport_mode', 'code': 'W', 'name_zh': '物流中心', 'name_en': 'Logistics centre'},
    {'code_table': 'transport_mode', 'code': 'Y', 'name_zh': '综合保税区', 'name_en': 'Comprehensive bonded zone'},
    {'code_table': 'currency', 'code': '142', 'name_zh': '人民币', 'name_en': 'CNY'},
]
VIRTUAL_LOCATIONS = [
    ("Suppliers", "supplier", "V-SUPPLIERS"),
    ("Customers", "customer", "V-CUSTOMERS"),
    ("Inventory adjustment", "inventory", "V-INVENTORY"),
    ("Transit", "transit", "V-TRANSIT"),
    ("Scrap", "scrap", "V-SCRAP"),
]


def upgrade() -> None:
    op.create_table('customs_code',
    sa.Column('code_table', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('name_zh', sa.String(length=60), nullable=False),
    sa.Column('name_en', sa.String(length=60), nullable=False),
    sa.CheckConstraint("code_table IN ('unit', 'country', 'trade_mode', 'transport_mode', 'currency')", name=op.f('ck_customs_code_code_table')),
    sa.PrimaryKeyConstraint('code_table', 'code', name=op.f('pk_customs_code'))
    )
    op.create_table('idempotency_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.String(length=120), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('endpoint', sa.String(length=120), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_idempotency_key_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_key')),
    sa.UniqueConstraint('user_key', name=op.f('uq_idempotency_key_user_key'))
    )
    op.create_table('warehouse',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('customs_area_code', sa.String(length=10), nullable=True),
    sa.Column('ems_no', sa.String(length=20), nullable=True),
    sa.Column('gs1_company_prefix', sa.String(length=12), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('bonded', 'overseas', 'general')", name=op.f('ck_warehouse_kind')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_warehouse_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_warehouse_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warehouse')),
    sa.UniqueConstraint('code', name=op.f('uq_warehouse_code'))
    )
    op.create_table('location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('full_path', sa.String(length=400), nullable=False),
    sa.Column('usage', sa.String(length=10), nullable=False),
    sa.Column('barcode', sa.String(length=40), nullable=False),
    sa.Column('capacity', sa.Numeric(precision=16, scale=3), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("usage IN ('view', 'internal', 'supplier', 'customer', 'inventory', 'transit', 'customs', 'scrap')", name=op.f('ck_location_usage')),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_location_capacity')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_location_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['location.id'], name=op.f('fk_location_parent_id_location')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_location_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_location_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location')),
    sa.UniqueConstraint('warehouse_id', 'barcode', name=op.f('uq_location_warehouse_id_barcode'))
    )
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.create_index('ix_location_barcode', ['barcode'], unique=False)

    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=40), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=True),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('category', sa.String(length=60), nullable=True),
    sa.Column('hs_code', sa.String(length=10), nullable=False),
    sa.Column('gname', sa.String(length=250), nullable=False),
    sa.Column('gmodel', sa.String(length=250), nullable=False),
    sa.Column('customs_unit', sa.String(length=3), nullable=False),
    sa.Column('legal_unit1', sa.String(length=3), nullable=False),
    sa.Column('legal_factor1', sa.Numeric(precision=14, scale=6), nullable=False),
    sa.Column('legal_unit2', sa.String(length=3), nullable=True),
    sa.Column('legal_factor2', sa.Numeric(precision=14, scale=6), nullable=True),
    sa.Column('origin_country', sa.String(length=3), nullable=False),
    sa.Column('declared_price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('net_weight_kg', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('gross_weight_kg', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('track_lot', sa.Boolean(), nullable=False),
    sa.Column('track_expiry', sa.Boolean(), nullable=False),
    sa.Column('item_record_no', sa.String(length=30), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('declared_price >= 0', name=op.f('ck_product_declared_price')),
    sa.CheckConstraint('legal_factor1 > 0', name=op.f('ck_product_legal_factor1')),
    sa.CheckConstraint('legal_factor2 IS NULL OR legal_factor2 > 0', name=op.f('ck_product_legal_factor2')),
    sa.CheckConstraint('net_weight_kg >= 0 AND gross_weight_kg >= net_weight_kg', name=op.f('ck_product_weights')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_product_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_product_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_product_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('owner_id', 'gtin', name=op.f('uq_product_owner_id_gtin')),
    sa.UniqueConstraint('owner_id', 'sku', name=op.f('uq_product_owner_id_sku'))
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_gtin'), ['gtin'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_owner_id'), ['owner_id'], unique=False)

    op.create_table('stock_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('origin', sa.String(length=80), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('done_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'reserved', 'done', 'cancelled')", name=op.f('ck_stock_document_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_stock_document_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_stock_document_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_stock_document_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_document'))
    )
    with op.batch_alter_table('stock_document', schema=None) as batch_op:
        batch_op.create_index('uq_stock_document_name', ['name'], unique=True, sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.create_table('count_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('counting', 'to_approve', 'done', 'cancelled')", name=op.f('ck_count_session_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_count_session_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['stock_document.id'], name=op.f('fk_count_session_document_id_stock_document')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_count_session_location_id_location')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_count_session_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_session'))
    )
    with op.batch_alter_table('count_session', schema=None) as batch_op:
        batch_op.create_index('uq_count_session_name', ['name'], unique=True, sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.create_table('lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_lot_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot')),
    sa.UniqueConstraint('product_id', 'name', name=op.f('uq_lot_product_id_name'))
    )
    op.create_table('package',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sscc', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('pallet', 'carton', 'bag')", name=op.f('ck_package_kind')),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_package_not_self')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_package_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_package_location_id_location')),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_package_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['parent_id'], ['package.id'], name=op.f('fk_package_parent_id_package')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_package_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_package')),
    sa.UniqueConstraint('sscc', name=op.f('uq_package_sscc'))
    )
    with op.batch_alter_table('package', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_package_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_package_parent_id'), ['parent_id'], unique=False)

    op.create_table('count_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('line_key', sa.String(length=80), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('package_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('customs_status', sa.String(length=10), nullable=False),
    sa.Column('counted', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('expected', sa.Numeric(precision=16, scale=3), nullable=True),
    sa.CheckConstraint('counted >= 0', name=op.f('ck_count_line_counted')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_count_line_lot_id_lot')),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_count_line_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['package_id'], ['package.id'], name=op.f('fk_count_line_package_id_package')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_count_line_product_id_product')),
    sa.ForeignKeyConstraint(['session_id'], ['count_session.id'], name=op.f('fk_count_line_session_id_count_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_line')),
    sa.UniqueConstraint('session_id', 'line_key', name=op.f('uq_count_line_session_id_line_key'))
    )
    op.create_table('quant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quant_key', sa.String(length=80), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('package_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('customs_status', sa.String(length=10), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('in_date', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("customs_status IN ('arrived', 'bonded', 'held', 'released', 'export')", name=op.f('ck_quant_customs_status')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_quant_location_id_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_quant_lot_id_lot')),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_quant_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['package_id'], ['package.id'], name=op.f('fk_quant_package_id_package')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_quant_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quant')),
    sa.UniqueConstraint('quant_key', name=op.f('uq_quant_quant_key'))
    )
    with op.batch_alter_table('quant', schema=None) as batch_op:
        batch_op.create_index('ix_quant_location_product', ['location_id', 'product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quant_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quant_package_id'), ['package_id'], unique=False)
        batch_op.create_index('ix_quant_product', ['product_id', 'owner_id'], unique=False)

    op.create_table('stock_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('from_location_id', sa.Integer(), nullable=False),
    sa.Column('to_location_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('package_id', sa.Integer(), nullable=True),
    sa.Column('to_package_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('customs_status', sa.String(length=10), nullable=False),
    sa.Column('to_customs_status', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('source_key', sa.String(length=80), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('done_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("customs_status IN ('arrived', 'bonded', 'held', 'released', 'export')", name=op.f('ck_stock_move_customs_status')),
    sa.CheckConstraint("state IN ('reserved', 'done', 'cancelled')", name=op.f('ck_stock_move_state')),
    sa.CheckConstraint("to_customs_status IN ('arrived', 'bonded', 'held', 'released', 'export')", name=op.f('ck_stock_move_to_customs_status')),
    sa.CheckConstraint("from_location_id <> to_location_id OR customs_status <> to_customs_status OR COALESCE(package_id, 0) <> COALESCE(to_package_id, 0)", name=op.f('ck_stock_move_changes_something')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_stock_move_quantity_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_stock_move_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['stock_document.id'], name=op.f('fk_stock_move_document_id_stock_document')),
    sa.ForeignKeyConstraint(['from_location_id'], ['location.id'], name=op.f('fk_stock_move_from_location_id_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_stock_move_lot_id_lot')),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_stock_move_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['package_id'], ['package.id'], name=op.f('fk_stock_move_package_id_package')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_stock_move_product_id_product')),
    sa.ForeignKeyConstraint(['to_location_id'], ['location.id'], name=op.f('fk_stock_move_to_location_id_location')),
    sa.ForeignKeyConstraint(['to_package_id'], ['package.id'], name=op.f('fk_stock_move_to_package_id_package')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_move'))
    )
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_move_document_id'), ['document_id'], unique=False)
        batch_op.create_index('ix_stock_move_product_done', ['product_id', 'done_at'], unique=False)
        batch_op.create_index('ix_stock_move_reserved', ['state', 'source_key'], unique=False)
        batch_op.create_index('ix_stock_move_to', ['to_location_id'], unique=False)


    # The customs code tables' defaults and the shared virtual locations: every ledger
    # needs them from the first move. Written out here so this revision never changes.
    codes = sa.table("customs_code", sa.column("code_table", sa.String),
                     sa.column("code", sa.String), sa.column("name_zh", sa.String),
                     sa.column("name_en", sa.String))
    op.bulk_insert(codes, CODES)
    locations = sa.table("location", sa.column("id", sa.Integer),
                         sa.column("parent_id", sa.Integer), sa.column("name", sa.String),
                         sa.column("full_path", sa.String), sa.column("usage", sa.String),
                         sa.column("barcode", sa.String), sa.column("active", sa.Boolean),
                         sa.column("created_at", wms.core.types.UtcDateTime()),
                         sa.column("updated_at", wms.core.types.UtcDateTime()))
    now = datetime.now(timezone.utc)
    op.bulk_insert(locations, [dict(name="Virtual", full_path="Virtual", usage="view",
                                    barcode="V", active=True, created_at=now, updated_at=now)])
    root = op.get_bind().execute(sa.text(
        "SELECT id FROM location WHERE full_path = 'Virtual'")).scalar_one()
    op.bulk_insert(locations, [
        dict(parent_id=root, name=name, full_path=f"Virtual/{name}", usage=usage,
             barcode=barcode, active=True, created_at=now, updated_at=now)
        for name, usage, barcode in VIRTUAL_LOCATIONS])


def downgrade() -> None:
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_move_to')
        batch_op.drop_index('ix_stock_move_reserved')
        batch_op.drop_index('ix_stock_move_product_done')
        batch_op.drop_index(batch_op.f('ix_stock_move_document_id'))

    op.drop_table('stock_move')
    with op.batch_alter_table('quant', schema=None) as batch_op:
        batch_op.drop_index('ix_quant_product')
        batch_op.drop_index(batch_op.f('ix_quant_package_id'))
        batch_op.drop_index(batch_op.f('ix_quant_owner_id'))
        batch_op.drop_index('ix_quant_location_product')

    op.drop_table('quant')
    op.drop_table('count_line')
    with op.batch_alter_table('package', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_package_parent_id'))
        batch_op.drop_index(batch_op.f('ix_package_location_id'))

    op.drop_table('package')
    op.drop_table('lot')
    with op.batch_alter_table('count_session', schema=None) as batch_op:
        batch_op.drop_index('uq_count_session_name', sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.drop_table('count_session')
    with op.batch_alter_table('stock_document', schema=None) as batch_op:
        batch_op.drop_index('uq_stock_document_name', sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.drop_table('stock_document')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_owner_id'))
        batch_op.drop_index(batch_op.f('ix_product_gtin'))

    op.drop_table('product')
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_index('ix_location_barcode')

    op.drop_table('location')
    op.drop_table('warehouse')
    op.drop_table('idempotency_key')
    op.drop_table('customs_code')
