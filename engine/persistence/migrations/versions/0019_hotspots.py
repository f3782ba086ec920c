"""hotspot warning (issue 19): each run's window and the flags it raised, one per category, area and window

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'hotspot_runs',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('window_first', sa.Date(), nullable=False),
        sa.Column('window_days', sa.Integer(), nullable=False),
        sa.Column('area_by', sa.String(length=16), nullable=False),
        sa.Column('tested', sa.Integer(), nullable=False),
        sa.Column('flagged', sa.Integer(), nullable=False),
        sa.Column('threshold', sa.Float(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hotspot_runs')),
        sa.UniqueConstraint('window_first', 'window_days', 'area_by', name='uq_hotspot_runs_window'),
    )
    op.create_table(
        'hotspot_flags',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('area', sa.String(length=64), nullable=False),
        sa.Column('window_first', sa.Date(), nullable=False),
        sa.Column('window_days', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('expected', sa.Float(), nullable=False),
        sa.Column('ratio', sa.Float(), nullable=False),
        sa.Column('p_value', sa.Float(), nullable=False),
        sa.Column('z', sa.Float(), nullable=False),
        sa.Column('baseline', sa.String(length=16), nullable=False),
        sa.Column('severity', sa.String(length=8), nullable=False),
        sa.Column('first_computed_at', sa.DateTime(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('notified_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hotspot_flags')),
        sa.UniqueConstraint('category', 'area', 'window_first', 'window_days', name='uq_hotspot_flags_window'),
    )
    op.create_index(op.f('ix_hotspot_flags_window_first'), 'hotspot_flags', ['window_first'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_hotspot_flags_window_first'), table_name='hotspot_flags')
    op.drop_table('hotspot_flags')
    op.drop_table('hotspot_runs')
