"""the kept assessment's explanation lines (assessment_kept_months.lines) and the XLSX export of a period built
from the kept figures (assessment_exports), so that no download recomputes a period

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assessment_kept_months', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lines', sa.JSON(), nullable=True))
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
    with op.batch_alter_table('assessment_kept_months', schema=None) as batch_op:
        batch_op.drop_column('lines')
