"""transport units can be retired: a unit taken out of service keeps its history and its
number, but nothing is loaded into it any more

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 22:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends: a batch rebuild of transport_unit on SQLite would
    # have to drop a table that tracking events and units reference.
    op.add_column('transport_unit', sa.Column('active', sa.Boolean(), nullable=False,
                                              server_default=sa.true()))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE transport_unit DROP COLUMN active')  # SQLite >= 3.35
    else:
        op.drop_column('transport_unit', 'active')
