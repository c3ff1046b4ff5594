"""customs code tables in full, and the product's customs tax data

The code tables were a sample (five countries, one currency): they are now the CSV files
shipped in ``wms/customs/codes/`` (docs/codes.md says where each comes from), loaded here
and reloaded later with ``wms codes load``. Two tables join them: customs offices and
ports (关区, the 4-digit customsCode / portCode of the messages) and the 2-digit province
codes a resident ID starts with. Codes an administrator added stay; shipped codes get the
shipped names.

``product`` gains the consumption-tax basis (ad valorem, or the high-end cosmetics threshold),
the retail import positive-list flag and whether its exports may use a short HS code.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:40:00
"""
import csv
from importlib.resources import files

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OLD_TABLES = ('unit', 'country', 'trade_mode', 'transport_mode', 'currency')
NEW_TABLES = ('customs_office', 'province')


def _table_check(tables) -> str:
    return "code_table IN (" + ", ".join(repr(t) for t in tables) + ")"


def _shipped(table: str) -> list[dict]:
    with (files('wms.customs.codes') / f'{table}.csv').open(encoding='utf-8', newline='') \
            as handle:
        return [dict(code_table=table, code=row['code'], name_zh=row['name_zh'],
                     name_en=row['name_en']) for row in csv.DictReader(handle)]


def upgrade() -> None:
    with op.batch_alter_table('customs_code', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_customs_code_code_table'), type_='check')
        batch_op.create_check_constraint(op.f('ck_customs_code_code_table'),
                                         _table_check(OLD_TABLES + NEW_TABLES))
    codes = sa.table('customs_code', sa.column('code_table', sa.String),
                     sa.column('code', sa.String), sa.column('name_zh', sa.String),
                     sa.column('name_en', sa.String))
    bind = op.get_bind()
    for table in OLD_TABLES + NEW_TABLES:
        rows = _shipped(table)
        bind.execute(codes.delete().where(codes.c.code_table == table,
                                          codes.c.code.in_([r['code'] for r in rows])))
        op.bulk_insert(codes, rows)

    # Plain ADD COLUMN, no CHECK: on SQLite a batch rebuild of ``product`` with stock on
    # it breaks the foreign keys that point at it; the basis is checked by the catalog.
    op.add_column('product', sa.Column('consumption_tax_basis', sa.String(length=20),
                                       server_default='ad_valorem', nullable=False))
    op.add_column('product', sa.Column('positive_list', sa.Boolean(),
                                       server_default=sa.false(), nullable=False))
    op.add_column('product', sa.Column('simplified_export', sa.Boolean(),
                                       server_default=sa.false(), nullable=False))
    # A product registered for bonded retail import (it has a record number) was on the list.
    bind.execute(sa.text("UPDATE product SET positive_list = :yes "
                         "WHERE item_record_no IS NOT NULL AND item_record_no <> ''"),
                 {"yes": True})


def downgrade() -> None:
    bind = op.get_bind()
    for column in ('simplified_export', 'positive_list', 'consumption_tax_basis'):
        bind.execute(sa.text(f"ALTER TABLE product DROP COLUMN {column}"))
    bind.execute(sa.text("DELETE FROM customs_code WHERE code_table IN ('customs_office', "
                         "'province')"))
    with op.batch_alter_table('customs_code', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_customs_code_code_table'), type_='check')
        batch_op.create_check_constraint(op.f('ck_customs_code_code_table'),
                                         _table_check(OLD_TABLES))
