"""stock page order: indexes that let the default stock list order (location path, SKU)
start from an index instead of sorting a million quants

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 23:25:00
"""
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # With location.full_path indexed PostgreSQL walks locations in path order, reads
    # their quants through ix_quant_location_product and sorts each location's few rows
    # by SKU (incremental sort): the first page stops after a few dozen locations.
    op.create_index('ix_location_full_path', 'location', ['full_path'])
    op.create_index('ix_product_sku', 'product', ['sku'])


def downgrade() -> None:
    op.drop_index('ix_product_sku', table_name='product')
    op.drop_index('ix_location_full_path', table_name='location')
