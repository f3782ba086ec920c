"""the kept assessment's explanation lines (assessment_kept_lines, per month and unit) and the XLSX export of a
period built from the kept figures (assessment_exports), so that no download recomputes a period; an index on
order_events (type, at) for a period's dispatches and objections (the 回退率 pages read a month of them)

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index('ix_order_events_type_at', ['type', 'at'], unique=False)
    op.create_table(
        'assessment_kept_lines',
        sa.Column('period', sa.String(8), nullable=False),
        sa.Column('unit_code', sa.String(32), nullable=False),
        sa.Column('as_of', sa.DateTime(), nullable=False),
        sa.Column('lines', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('period', 'unit_code', name=op.f('pk_assessment_kept_lines')),
    )
    op.create_table(
        'assessment_exports',
        sa.Column('period', sa.String(8), nullable=False),
        sa.Column('stamp', sa.String(64), nullable=False),
        sa.Column('as_of', sa.DateTime(), nullable=False),
        sa.Column('built_at', sa.DateTime(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('period', name=op.f('pk_assessment_exports')),
    )


def downgrade() -> None:
    op.drop_table('assessment_exports')
    op.drop_table('assessment_kept_lines')
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_index('ix_order_events_type_at')
