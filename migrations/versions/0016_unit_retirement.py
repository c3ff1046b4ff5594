"""transport units can be retired: a unit taken out of service keeps its history and its
number, but nothing is loaded into it any more

Revision ID: 0016
Revises: 0010
Create Date: 2026-12-01 22:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transport_unit') as batch:
        batch.add_column(sa.Column('active', sa.Boolean(), nullable=False,
                                   server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('transport_unit') as batch:
        batch.drop_column('active')
