"""returns: each returned unit is graded on its own

Two units of one returned item may come back in different states (one as new, one with a
dented tin): ``return_unit`` keeps one row per graded unit. The item's own grade stays as
the summary (the worst grade of its units once all are graded), so dispositions read it as
before. Items graded before this revision get one unit row per unit with the item's grade.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 23:15:00
"""
from alembic import op
import sqlalchemy as sa
import wms.core.types


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('return_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('unit_no', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=10), nullable=False),
    sa.Column('grade_reason', sa.String(length=200), nullable=True),
    sa.Column('photo', sa.String(length=200), nullable=True),
    sa.Column('graded_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', wms.core.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("grade IN ('new', 'open_box', 'damaged', 'scrap')", name=op.f('ck_return_unit_grade')),
    sa.CheckConstraint('unit_no > 0', name=op.f('ck_return_unit_unit_no')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_return_unit_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['line_id'], ['return_line.id'], name=op.f('fk_return_unit_line_id_return_line'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_return_unit_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_unit')),
    sa.UniqueConstraint('line_id', 'unit_no', name=op.f('uq_return_unit_line_id_unit_no'))
    )
    bind = op.get_bind()
    stamp = wms.core.types.UtcDateTime(timezone=True)
    # Typed columns: SQLite hands raw text back for timestamps, which the insert would refuse.
    graded = bind.execute(sa.text(
        "SELECT id, qty, grade, grade_reason, photo, graded_at, created_at, updated_at "
        "FROM return_line WHERE grade IS NOT NULL").columns(
            graded_at=stamp, created_at=stamp, updated_at=stamp)).all()
    unit = sa.table('return_unit', sa.column('line_id'), sa.column('unit_no'),
                    sa.column('grade'), sa.column('grade_reason'), sa.column('photo'),
                    sa.column('graded_at', wms.core.types.UtcDateTime(timezone=True)),
                    sa.column('created_at', wms.core.types.UtcDateTime(timezone=True)),
                    sa.column('updated_at', wms.core.types.UtcDateTime(timezone=True)))
    rows = [dict(line_id=line_id, unit_no=n, grade=grade, grade_reason=reason, photo=photo,
                 graded_at=graded_at or updated, created_at=created, updated_at=updated)
            for line_id, qty, grade, reason, photo, graded_at, created, updated in graded
            for n in range(1, int(qty) + 1)]
    if rows:
        op.bulk_insert(unit, rows)


def downgrade() -> None:
    op.drop_table('return_unit')
