"""credit and risk: the blacklist with its refusals and holds, the enterprise's AEO
certificate, and the risk warnings

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 22:34:23
"""
from alembic import op
import sqlalchemy as sa
import wms.core.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blacklist_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('authority', sa.String(length=200), nullable=False),
    sa.Column('listed_from', sa.Date(), nullable=False),
    sa.Column('listed_until', sa.Date(), nullable=True),
    sa.Column('lifted_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('listed_until IS NULL OR listed_until >= listed_from', name=op.f('ck_blacklist_entry_listed_dates')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_blacklist_entry_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_blacklist_entry_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['app_user.id'], name=op.f('fk_blacklist_entry_lifted_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_blacklist_entry_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blacklist_entry'))
    )
    with op.batch_alter_table('blacklist_entry', schema=None) as batch_op:
        batch_op.create_index('ix_blacklist_entry_enterprise', ['enterprise_id', 'lifted_at'], unique=False)

    op.create_table('risk_warning',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('document', sa.String(length=16), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=80), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('raised_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('acknowledged_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_by_login', sa.String(length=64), nullable=True),
    sa.CheckConstraint("category IN ('market', 'transaction', 'product_quality', 'logistics', 'customs')", name=op.f('ck_risk_warning_category')),
    sa.CheckConstraint("state IN ('open', 'acknowledged')", name=op.f('ck_risk_warning_state')),
    sa.CheckConstraint('level BETWEEN 1 AND 3', name=op.f('ck_risk_warning_level')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['app_user.id'], name=op.f('fk_risk_warning_acknowledged_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_risk_warning_owner_id_enterprise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_warning')),
    sa.UniqueConstraint('rule', 'subject', name=op.f('uq_risk_warning_rule_subject'))
    )
    with op.batch_alter_table('risk_warning', schema=None) as batch_op:
        batch_op.create_index('ix_risk_warning_owner', ['owner_id', 'state'], unique=False)
        batch_op.create_index('ix_risk_warning_state_level', ['state', 'level', 'id'], unique=False)

    op.create_table('document_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document', sa.String(length=10), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('held_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('released_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('release_note', sa.Text(), nullable=True),
    sa.CheckConstraint("document IN ('receipt', 'order')", name=op.f('ck_document_hold_document')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_document_hold_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['entry_id'], ['blacklist_entry.id'], name=op.f('fk_document_hold_entry_id_blacklist_entry')),
    sa.ForeignKeyConstraint(['released_by_id'], ['app_user.id'], name=op.f('fk_document_hold_released_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_hold')),
    sa.UniqueConstraint('document', 'document_id', 'entry_id', name=op.f('uq_document_hold_document_document_id_entry_id'))
    )
    with op.batch_alter_table('document_hold', schema=None) as batch_op:
        batch_op.create_index('ix_document_hold_open', ['document', 'released_at'], unique=False)

    op.create_table('enterprise_refusal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.String(length=10), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=True),
    sa.Column('user_login', sa.String(length=64), nullable=False),
    sa.Column('refused_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_enterprise_refusal_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['entry_id'], ['blacklist_entry.id'], name=op.f('fk_enterprise_refusal_entry_id_blacklist_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_refusal'))
    )
    with op.batch_alter_table('enterprise_refusal', schema=None) as batch_op:
        batch_op.create_index('ix_enterprise_refusal_enterprise', ['enterprise_id', 'id'], unique=False)

    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aeo_certificate', sa.String(length=20), nullable=True))



def downgrade() -> None:
    # Plain DROP COLUMN on both backends: a batch rebuild of enterprise on SQLite would
    # drop the table every other one refers to.
    op.execute("ALTER TABLE enterprise DROP COLUMN aeo_certificate")

    with op.batch_alter_table('enterprise_refusal', schema=None) as batch_op:
        batch_op.drop_index('ix_enterprise_refusal_enterprise')

    op.drop_table('enterprise_refusal')
    with op.batch_alter_table('document_hold', schema=None) as batch_op:
        batch_op.drop_index('ix_document_hold_open')

    op.drop_table('document_hold')
    with op.batch_alter_table('risk_warning', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_warning_state_level')
        batch_op.drop_index('ix_risk_warning_owner')

    op.drop_table('risk_warning')
    with op.batch_alter_table('blacklist_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_blacklist_entry_enterprise')

    op.drop_table('blacklist_entry')
