"""logistics tracking

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 08:42:39.375032
"""
from alembic import op
import sqlalchemy as sa
import wms.core.types
from datetime import datetime, timezone


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The route network of the Lanzhou corridors, written out here so this revision never changes.
# code, name, name_zh, kind, country, UN/LOCODE (only where certain), IATA, latitude,
# longitude, border, gauge change, dwell hours. Coordinates are approximate (two decimals,
# from DOMAIN.md section 8); Zhongchuan North and the office of exchange are placed by
# their district and are to be checked before relying on them.
NODES = [
    ('LANZHOU', 'Lanzhou International Land Port (Dongchuan)', '兰州国际陆港（东川）', 'rail_terminal', 'CN', None, None, 36.06, 103.83, False, False, 0.0),
    ('ZHONGCHUAN_N', 'Zhongchuan North (Lanzhou New Area)', '中川北站', 'rail_terminal', 'CN', None, None, 36.53, 103.66, False, False, 0.0),
    ('WUWEI', 'Wuwei Land Port', '武威陆港', 'rail_terminal', 'CN', None, None, 37.93, 102.64, False, False, 0.0),
    ('TIANSHUI', 'Tianshui Land Port', '天水陆港', 'rail_terminal', 'CN', None, None, 34.58, 105.72, False, False, 0.0),
    ('ALASHANKOU', 'Alashankou', '阿拉山口', 'border_station', 'CN', None, None, 45.17, 82.57, True, False, 12.0),
    ('DOSTYK', 'Dostyk', '多斯特克', 'gauge_change', 'KZ', None, None, 45.253, 82.482, True, True, 24.0),
    ('KHORGOS', 'Khorgos', '霍尔果斯', 'border_station', 'CN', None, None, 44.21, 80.41, True, False, 12.0),
    ('ALTYNKOL', 'Altynkol', '阿腾科里', 'gauge_change', 'KZ', None, None, 44.20, 80.37, True, True, 24.0),
    ('ALMATY', 'Almaty', '阿拉木图', 'rail_terminal', 'KZ', 'KZALA', None, 43.24, 76.89, False, False, 0.0),
    ('TASHKENT', 'Tashkent', '塔什干', 'rail_terminal', 'UZ', 'UZTAS', None, 41.30, 69.24, False, False, 0.0),
    ('MOSCOW', 'Moscow', '莫斯科', 'rail_terminal', 'RU', 'RUMOW', None, 55.756, 37.617, False, False, 0.0),
    ('BREST', 'Brest', '布列斯特', 'border_station', 'BY', None, None, 52.098, 23.734, True, False, 12.0),
    ('MALASZEWICZE', 'Małaszewicze', '马拉舍维奇', 'gauge_change', 'PL', None, None, 52.03, 23.53, True, True, 24.0),
    ('WARSAW', 'Warsaw', '华沙', 'rail_terminal', 'PL', 'PLWAW', None, 52.230, 21.012, False, False, 0.0),
    ('DUISBURG', 'Duisburg', '杜伊斯堡', 'rail_terminal', 'DE', 'DEDUI', None, 51.434, 6.762, False, False, 0.0),
    ('HAMBURG', 'Hamburg', '汉堡', 'rail_terminal', 'DE', 'DEHAM', None, 53.551, 9.994, False, False, 0.0),
    ('ERENHOT', 'Erenhot', '二连浩特', 'border_station', 'CN', None, None, 43.65, 111.98, True, False, 12.0),
    ('ZAMYN_UUD', 'Zamyn-Uud', '扎门乌德', 'gauge_change', 'MN', None, None, 43.72, 111.90, True, True, 24.0),
    ('KASHGAR', 'Kashgar', '喀什', 'road_terminal', 'CN', None, None, 39.47, 75.99, True, False, 12.0),
    ('OSH', 'Osh', '奥什', 'road_terminal', 'KG', None, None, 40.53, 72.80, False, False, 0.0),
    ('LHW', 'Lanzhou Zhongchuan International Airport', '兰州中川国际机场', 'airport', 'CN', None, 'LHW', 36.5152, 103.6205, False, False, 0.0),
    ('JGN', 'Jiayuguan Airport', '嘉峪关机场', 'airport', 'CN', None, 'JGN', 39.8569, 98.3414, False, False, 0.0),
    ('DNH', 'Dunhuang Airport', '敦煌机场', 'airport', 'CN', None, 'DNH', 40.1620, 94.8128, False, False, 0.0),
    ('FRA', 'Frankfurt Airport', '法兰克福机场', 'airport', 'DE', 'DEFRA', 'FRA', 50.0379, 8.5622, False, False, 0.0),
    ('ALA', 'Almaty International Airport', '阿拉木图机场', 'airport', 'KZ', 'KZALA', 'ALA', 43.3521, 77.0405, False, False, 0.0),
    ('TAS', 'Tashkent International Airport', '塔什干机场', 'airport', 'UZ', 'UZTAS', 'TAS', 41.2579, 69.2812, False, False, 0.0),
    ('LANZHOU_OE', 'Lanzhou International Mail Office of Exchange', '兰州国际邮件互换局', 'office_of_exchange', 'CN', None, None, 36.06, 103.83, False, False, 0.0),
]

_CE = ['ALASHANKOU', 'DOSTYK', 'MOSCOW', 'BREST', 'MALASZEWICZE', 'WARSAW']
# code, name, mode, carriage mode (post only), stops
LANES = [
    ('RAIL-CE-AKS-DUI', 'China-Europe via Alashankou/Dostyk to Duisburg', 'rail', None, ['LANZHOU', 'WUWEI', *_CE, 'DUISBURG']),
    ('RAIL-CE-AKS-HAM', 'China-Europe via Alashankou/Dostyk to Hamburg', 'rail', None, ['LANZHOU', 'WUWEI', *_CE, 'HAMBURG']),
    ('RAIL-CE-ZCN-DUI', 'China-Europe from Zhongchuan North to Duisburg', 'rail', None, ['ZHONGCHUAN_N', 'WUWEI', *_CE, 'DUISBURG']),
    ('RAIL-CE-ERL-DUI', 'China-Europe via Erenhot/Zamyn-Uud to Duisburg', 'rail', None, ['LANZHOU', 'ERENHOT', 'ZAMYN_UUD', 'MOSCOW', 'BREST', 'MALASZEWICZE', 'WARSAW', 'DUISBURG']),
    ('RAIL-CA-KHR-ALA', 'Central Asia via Khorgos/Altynkol to Almaty', 'rail', None, ['LANZHOU', 'WUWEI', 'KHORGOS', 'ALTYNKOL', 'ALMATY']),
    ('RAIL-LZ-KHG', 'Lanzhou to Kashgar', 'rail', None, ['LANZHOU', 'WUWEI', 'KASHGAR']),
    ('ROAD-KHG-TAS', 'Kashgar by road to Osh and Tashkent', 'road', None, ['KASHGAR', 'OSH', 'TASHKENT']),
    ('AIR-LHW-FRA', 'Air cargo Lanzhou to Frankfurt', 'air', None, ['LHW', 'FRA']),
    ('AIR-LHW-ALA', 'Air cargo Lanzhou to Almaty', 'air', None, ['LHW', 'ALA']),
    ('AIR-LHW-TAS', 'Air cargo Lanzhou to Tashkent', 'air', None, ['LHW', 'TAS']),
    ('POST-LZOE-FRA-AIR', 'Mail from the Lanzhou office of exchange by air to Frankfurt', 'post', 'air', ['LANZHOU_OE', 'LHW', 'FRA']),
    ('POST-LZOE-DUI-RAIL', 'Mail from the Lanzhou office of exchange by China-Europe train', 'post', 'rail', ['LANZHOU_OE', 'LANZHOU', 'WUWEI', *_CE, 'DUISBURG']),
]


def upgrade() -> None:
    op.create_table('route_lane',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('mode', sa.String(length=5), nullable=False),
    sa.Column('carriage_mode', sa.String(length=5), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("carriage_mode IS NULL OR carriage_mode IN ('rail', 'air', 'road', 'sea')", name=op.f('ck_route_lane_carriage_mode')),
    sa.CheckConstraint("mode IN ('rail', 'air', 'post', 'road', 'sea')", name=op.f('ck_route_lane_mode')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_lane')),
    sa.UniqueConstraint('code', name=op.f('uq_route_lane_code'))
    )
    op.create_table('route_node',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('unlocode', sa.String(length=5), nullable=True),
    sa.Column('iata', sa.String(length=3), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=False),
    sa.Column('longitude', sa.Double(), nullable=False),
    sa.Column('border', sa.Boolean(), nullable=False),
    sa.Column('gauge_change', sa.Boolean(), nullable=False),
    sa.Column('dwell_hours', sa.Double(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('rail_terminal', 'border_station', 'gauge_change', 'airport', 'office_of_exchange', 'warehouse', 'road_terminal', 'sea_port')", name=op.f('ck_route_node_kind')),
    sa.CheckConstraint('dwell_hours >= 0', name=op.f('ck_route_node_dwell_hours')),
    sa.CheckConstraint('latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180', name=op.f('ck_route_node_coordinates')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_route_node_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_route_node_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_route_node_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_node')),
    sa.UniqueConstraint('code', name=op.f('uq_route_node_code'))
    )
    with op.batch_alter_table('route_node', schema=None) as batch_op:
        batch_op.create_index('ix_route_node_unlocode', ['unlocode'], unique=False)

    op.create_table('webhook_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_webhook_subscription_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_webhook_subscription_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_webhook_subscription_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscription'))
    )
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_subscription_owner_id'), ['owner_id'], unique=False)

    op.create_table('route_lane_stop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lane_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lane_id'], ['route_lane.id'], name=op.f('fk_route_lane_stop_lane_id_route_lane'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['node_id'], ['route_node.id'], name=op.f('fk_route_lane_stop_node_id_route_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_lane_stop')),
    sa.UniqueConstraint('lane_id', 'seq', name=op.f('uq_route_lane_stop_lane_id_seq'))
    )
    op.create_table('shipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=60), nullable=True),
    sa.Column('origin_node_id', sa.Integer(), nullable=True),
    sa.Column('destination_node_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('current_node_id', sa.Integer(), nullable=True),
    sa.Column('current_place', sa.String(length=5), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'booked', 'in_transit', 'delivered', 'cancelled')", name=op.f('ck_shipment_state')),
    sa.CheckConstraint("status IN ('pending', 'in_transit', 'on_hold', 'delivery_delayed', 'out_for_delivery', 'ready_for_pickup', 'delivered', 'delivery_failed', 'return_to_sender', 'cancelled', 'unknown')", name=op.f('ck_shipment_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_shipment_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['current_node_id'], ['route_node.id'], name=op.f('fk_shipment_current_node_id_route_node')),
    sa.ForeignKeyConstraint(['destination_node_id'], ['route_node.id'], name=op.f('fk_shipment_destination_node_id_route_node')),
    sa.ForeignKeyConstraint(['origin_node_id'], ['route_node.id'], name=op.f('fk_shipment_origin_node_id_route_node')),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_shipment_owner_id_enterprise')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_shipment_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_shipment_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment'))
    )
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.create_index('ix_shipment_owner_state', ['owner_id', 'state'], unique=False)
        batch_op.create_index('ix_shipment_reference', ['reference'], unique=False)
        batch_op.create_index('uq_shipment_name', ['name'], unique=True, sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))

    op.create_table('shipment_leg',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('mode', sa.String(length=5), nullable=False),
    sa.Column('carriage_mode', sa.String(length=5), nullable=True),
    sa.Column('carrier_id', sa.Integer(), nullable=True),
    sa.Column('carrier_name', sa.String(length=120), nullable=True),
    sa.Column('service_ref', sa.String(length=40), nullable=True),
    sa.Column('transport_doc', sa.String(length=40), nullable=True),
    sa.Column('house_doc', sa.String(length=40), nullable=True),
    sa.Column('from_node_id', sa.Integer(), nullable=False),
    sa.Column('to_node_id', sa.Integer(), nullable=False),
    sa.Column('lane_id', sa.Integer(), nullable=True),
    sa.Column('distance_km', sa.Double(), nullable=True),
    sa.Column('planned_departure', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('planned_arrival', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('estimated_departure', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('estimated_arrival', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('actual_departure', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('actual_arrival', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("carriage_mode IS NULL OR carriage_mode IN ('rail', 'air', 'road', 'sea')", name=op.f('ck_shipment_leg_carriage_mode')),
    sa.CheckConstraint("mode IN ('rail', 'air', 'post', 'road', 'sea')", name=op.f('ck_shipment_leg_mode')),
    sa.CheckConstraint("state IN ('planned', 'in_transit', 'arrived', 'cancelled')", name=op.f('ck_shipment_leg_state')),
    sa.CheckConstraint('from_node_id <> to_node_id', name=op.f('ck_shipment_leg_moves')),
    sa.ForeignKeyConstraint(['carrier_id'], ['enterprise.id'], name=op.f('fk_shipment_leg_carrier_id_enterprise')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_shipment_leg_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['from_node_id'], ['route_node.id'], name=op.f('fk_shipment_leg_from_node_id_route_node')),
    sa.ForeignKeyConstraint(['lane_id'], ['route_lane.id'], name=op.f('fk_shipment_leg_lane_id_route_lane')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_shipment_leg_shipment_id_shipment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_node_id'], ['route_node.id'], name=op.f('fk_shipment_leg_to_node_id_route_node')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_shipment_leg_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_leg')),
    sa.UniqueConstraint('shipment_id', 'seq', name=op.f('uq_shipment_leg_shipment_id_seq'))
    )
    with op.batch_alter_table('shipment_leg', schema=None) as batch_op:
        batch_op.create_index('ix_shipment_leg_service_ref', ['service_ref'], unique=False)
        batch_op.create_index('ix_shipment_leg_transport_doc', ['transport_doc'], unique=False)

    op.create_table('transport_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('identifier', sa.String(length=40), nullable=False),
    sa.Column('scheme', sa.String(length=10), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('package_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('status_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('current_node_id', sa.Integer(), nullable=True),
    sa.Column('current_place', sa.String(length=5), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('parcel', 'bag', 'pallet', 'container', 'uld', 'wagon', 'train', 'flight')", name=op.f('ck_transport_unit_kind')),
    sa.CheckConstraint("status IS NULL OR status IN ('pending', 'in_transit', 'on_hold', 'delivery_delayed', 'out_for_delivery', 'ready_for_pickup', 'delivered', 'delivery_failed', 'return_to_sender', 'cancelled', 'unknown')", name=op.f('ck_transport_unit_status')),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_transport_unit_not_self')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_transport_unit_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['current_node_id'], ['route_node.id'], name=op.f('fk_transport_unit_current_node_id_route_node')),
    sa.ForeignKeyConstraint(['package_id'], ['package.id'], name=op.f('fk_transport_unit_package_id_package')),
    sa.ForeignKeyConstraint(['parent_id'], ['transport_unit.id'], name=op.f('fk_transport_unit_parent_id_transport_unit')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_transport_unit_shipment_id_shipment')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_transport_unit_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transport_unit')),
    sa.UniqueConstraint('kind', 'identifier', name=op.f('uq_transport_unit_kind_identifier')),
    sa.UniqueConstraint('package_id', name=op.f('uq_transport_unit_package_id'))
    )
    with op.batch_alter_table('transport_unit', schema=None) as batch_op:
        batch_op.create_index('ix_transport_unit_identifier', ['identifier'], unique=False)
        batch_op.create_index(batch_op.f('ix_transport_unit_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transport_unit_shipment_id'), ['shipment_id'], unique=False)

    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('response_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f('ck_webhook_delivery_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_webhook_delivery_attempts')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_webhook_delivery_shipment_id_shipment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'], name=op.f('fk_webhook_delivery_subscription_id_webhook_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery'))
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_delivery_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_delivery_subscription', ['subscription_id', 'id'], unique=False)

    op.create_table('logistics_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('leg_id', sa.Integer(), nullable=False),
    sa.Column('planned_arrival', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('estimated_arrival', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('delay_minutes', sa.Integer(), nullable=False),
    sa.Column('acknowledged_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('open', 'acknowledged')", name=op.f('ck_logistics_alert_state')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['app_user.id'], name=op.f('fk_logistics_alert_acknowledged_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_logistics_alert_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['leg_id'], ['shipment_leg.id'], name=op.f('fk_logistics_alert_leg_id_shipment_leg'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_logistics_alert_shipment_id_shipment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_logistics_alert_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_logistics_alert'))
    )
    with op.batch_alter_table('logistics_alert', schema=None) as batch_op:
        batch_op.create_index('ix_logistics_alert_state', ['state', 'shipment_id'], unique=False)
        batch_op.create_index('uq_logistics_alert_open', ['leg_id', 'kind'], unique=True, sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))

    op.create_table('tracking_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('source_event_id', sa.String(length=80), nullable=False),
    sa.Column('source_code', sa.String(length=20), nullable=True),
    sa.Column('event_type', sa.String(length=12), nullable=False),
    sa.Column('classifier', sa.String(length=3), nullable=False),
    sa.Column('milestone', sa.String(length=20), nullable=False),
    sa.Column('biz_step', sa.String(length=30), nullable=True),
    sa.Column('disposition', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('flag_reason', sa.String(length=200), nullable=True),
    sa.Column('event_time', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('time_zone', sa.String(length=6), nullable=False),
    sa.Column('recorded_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('unlocode', sa.String(length=5), nullable=True),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('leg_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('parent_unit_id', sa.Integer(), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.CheckConstraint("classifier IN ('PLN', 'EST', 'ACT')", name=op.f('ck_tracking_event_classifier')),
    sa.CheckConstraint("event_type IN ('object', 'aggregation')", name=op.f('ck_tracking_event_event_type')),
    sa.CheckConstraint("status IS NULL OR status IN ('pending', 'in_transit', 'on_hold', 'delivery_delayed', 'out_for_delivery', 'ready_for_pickup', 'delivered', 'delivery_failed', 'return_to_sender', 'cancelled', 'unknown')", name=op.f('ck_tracking_event_status')),
    sa.ForeignKeyConstraint(['leg_id'], ['shipment_leg.id'], name=op.f('fk_tracking_event_leg_id_shipment_leg')),
    sa.ForeignKeyConstraint(['node_id'], ['route_node.id'], name=op.f('fk_tracking_event_node_id_route_node')),
    sa.ForeignKeyConstraint(['parent_unit_id'], ['transport_unit.id'], name=op.f('fk_tracking_event_parent_unit_id_transport_unit')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_tracking_event_shipment_id_shipment')),
    sa.ForeignKeyConstraint(['unit_id'], ['transport_unit.id'], name=op.f('fk_tracking_event_unit_id_transport_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_event')),
    sa.UniqueConstraint('source', 'source_event_id', name=op.f('uq_tracking_event_source_source_event_id'))
    )
    with op.batch_alter_table('tracking_event', schema=None) as batch_op:
        batch_op.create_index('ix_tracking_event_shipment_time', ['shipment_id', 'event_time'], unique=False)
        batch_op.create_index('ix_tracking_event_unit_time', ['unit_id', 'event_time'], unique=False)

    op.create_table('tracking_event_unit',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['tracking_event.id'], name=op.f('fk_tracking_event_unit_event_id_tracking_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['transport_unit.id'], name=op.f('fk_tracking_event_unit_unit_id_transport_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'unit_id', name=op.f('pk_tracking_event_unit'))
    )
    with op.batch_alter_table('tracking_event_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracking_event_unit_unit_id'), ['unit_id'], unique=False)


    # The network every database starts with.
    now = datetime.now(timezone.utc)
    nodes = sa.table("route_node", *(sa.column(c) for c in (
        "code", "name", "name_zh", "kind", "country", "unlocode", "iata", "latitude",
        "longitude", "border", "gauge_change", "dwell_hours", "active")),
        sa.column("created_at", wms.core.types.UtcDateTime()),
        sa.column("updated_at", wms.core.types.UtcDateTime()))
    keys = ("code", "name", "name_zh", "kind", "country", "unlocode", "iata", "latitude",
            "longitude", "border", "gauge_change", "dwell_hours")
    op.bulk_insert(nodes, [dict(zip(keys, row), active=True, created_at=now, updated_at=now)
                           for row in NODES])
    lanes = sa.table("route_lane", sa.column("code"), sa.column("name"), sa.column("mode"),
                     sa.column("carriage_mode"), sa.column("active", sa.Boolean))
    op.bulk_insert(lanes, [dict(code=code, name=name, mode=mode, carriage_mode=carriage,
                                active=True) for code, name, mode, carriage, _ in LANES])
    bind = op.get_bind()
    node_ids = dict(bind.execute(sa.text("SELECT code, id FROM route_node")).all())
    lane_ids = dict(bind.execute(sa.text("SELECT code, id FROM route_lane")).all())
    stops = sa.table("route_lane_stop", sa.column("lane_id"), sa.column("seq"),
                     sa.column("node_id"))
    op.bulk_insert(stops, [dict(lane_id=lane_ids[code], seq=seq, node_id=node_ids[node])
                           for code, _, _, _, path in LANES
                           for seq, node in enumerate(path, start=1)])


def downgrade() -> None:
    with op.batch_alter_table('tracking_event_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_event_unit_unit_id'))

    op.drop_table('tracking_event_unit')
    with op.batch_alter_table('tracking_event', schema=None) as batch_op:
        batch_op.drop_index('ix_tracking_event_unit_time')
        batch_op.drop_index('ix_tracking_event_shipment_time')

    op.drop_table('tracking_event')
    with op.batch_alter_table('logistics_alert', schema=None) as batch_op:
        batch_op.drop_index('uq_logistics_alert_open', sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))
        batch_op.drop_index('ix_logistics_alert_state')

    op.drop_table('logistics_alert')
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_subscription')
        batch_op.drop_index('ix_webhook_delivery_due')

    op.drop_table('webhook_delivery')
    with op.batch_alter_table('transport_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transport_unit_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_transport_unit_parent_id'))
        batch_op.drop_index('ix_transport_unit_identifier')

    op.drop_table('transport_unit')
    with op.batch_alter_table('shipment_leg', schema=None) as batch_op:
        batch_op.drop_index('ix_shipment_leg_transport_doc')
        batch_op.drop_index('ix_shipment_leg_service_ref')

    op.drop_table('shipment_leg')
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.drop_index('uq_shipment_name', sqlite_where=sa.text("name <> '/'"), postgresql_where=sa.text("name <> '/'"))
        batch_op.drop_index('ix_shipment_reference')
        batch_op.drop_index('ix_shipment_owner_state')

    op.drop_table('shipment')
    op.drop_table('route_lane_stop')
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_subscription_owner_id'))

    op.drop_table('webhook_subscription')
    with op.batch_alter_table('route_node', schema=None) as batch_op:
        batch_op.drop_index('ix_route_node_unlocode')

    op.drop_table('route_node')
    op.drop_table('route_lane')
