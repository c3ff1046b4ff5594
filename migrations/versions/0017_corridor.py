"""corridor: parcels as transport units, transfers between legs, resolved alerts

A packed parcel becomes a transport unit linked to its parcel row (table ``parcel_unit``),
so events for its S10 or waybill reach it and the order page finds it. A leg
may have a transfer before it (hub, minimum connection time, transit customs): table
``leg_transfer``. An alert the estimator finds no longer true is ``resolved`` instead of
staying open beside an estimate that says otherwise.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 23:00:00
"""
from alembic import op
import sqlalchemy as sa

import wms.core.types


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('parcel_unit',
    sa.Column('parcel_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['parcel_id'], ['parcel.id'], name=op.f('fk_parcel_unit_parcel_id_parcel'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['transport_unit.id'], name=op.f('fk_parcel_unit_unit_id_transport_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('parcel_id', name=op.f('pk_parcel_unit')),
    sa.UniqueConstraint('unit_id', name=op.f('uq_parcel_unit_unit_id'))
    )
    with op.batch_alter_table('logistics_alert', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_logistics_alert_state'), type_='check')
        batch_op.create_check_constraint(
            'state', "state IN ('open', 'acknowledged', 'resolved')")
    op.create_table('leg_transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('leg_id', sa.Integer(), nullable=False),
    sa.Column('hub_node_id', sa.Integer(), nullable=False),
    sa.Column('min_connection_minutes', sa.Integer(), nullable=False),
    sa.Column('transit_customs', sa.Boolean(), nullable=False),
    sa.Column('customs_minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('min_connection_minutes >= 0', name=op.f('ck_leg_transfer_connection')),
    sa.CheckConstraint('customs_minutes >= 0', name=op.f('ck_leg_transfer_customs')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_leg_transfer_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hub_node_id'], ['route_node.id'], name=op.f('fk_leg_transfer_hub_node_id_route_node')),
    sa.ForeignKeyConstraint(['leg_id'], ['shipment_leg.id'], name=op.f('fk_leg_transfer_leg_id_shipment_leg'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_leg_transfer_shipment_id_shipment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_leg_transfer_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leg_transfer')),
    sa.UniqueConstraint('leg_id', name=op.f('uq_leg_transfer_leg_id'))
    )
    with op.batch_alter_table('leg_transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leg_transfer_shipment_id'), ['shipment_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('leg_transfer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leg_transfer_shipment_id'))
    op.drop_table('leg_transfer')
    op.execute("UPDATE logistics_alert SET state = 'acknowledged' WHERE state = 'resolved'")
    with op.batch_alter_table('logistics_alert', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_logistics_alert_state'), type_='check')
        batch_op.create_check_constraint('state', "state IN ('open', 'acknowledged')")
    op.drop_table('parcel_unit')
