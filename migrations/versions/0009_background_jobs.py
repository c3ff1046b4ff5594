"""background work: the record of periodic jobs and their runs, failures, notices, and the
customs receipt files applied

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:20:00
"""
from alembic import op
import sqlalchemy as sa
import wms.core.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customs_receipt_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('received_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('applied', 'rejected')", name=op.f('ck_customs_receipt_file_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customs_receipt_file')),
    sa.UniqueConstraint('sha256', name=op.f('uq_customs_receipt_file_sha256'))
    )
    op.create_table('job_run',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('lease_until', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_started_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('next_run_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('counts', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('ok', 'failed')", name=op.f('ck_job_run_outcome')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_run'))
    )
    op.create_table('job_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('failed_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('retried_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['retried_by_id'], ['app_user.id'], name=op.f('fk_job_failure_retried_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_failure'))
    )
    with op.batch_alter_table('job_failure', schema=None) as batch_op:
        batch_op.create_index('ix_job_failure_open', ['resolved_at', 'id'], unique=False)

    op.create_table('job_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('due_at', wms.core.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('dispatcher', 'customs_clerk', 'returns_clerk', 'supervisor')", name=op.f('ck_job_notice_role')),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprise.id'], name=op.f('fk_job_notice_owner_id_enterprise'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_notice')),
    sa.UniqueConstraint('kind', 'subject_id', name=op.f('uq_job_notice_kind_subject_id'))
    )
    with op.batch_alter_table('job_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_notice_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_job_notice_role_id', ['role', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('job_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_job_notice_role_id')
        batch_op.drop_index(batch_op.f('ix_job_notice_owner_id'))

    op.drop_table('job_notice')
    with op.batch_alter_table('job_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_job_failure_open')

    op.drop_table('job_failure')
    op.drop_table('job_run')
    op.drop_table('customs_receipt_file')
