"""2025 national rules part 1: co-handling units and the hard-case mark on work orders; the unit a workflow
instance serves (a co-handling unit's sign-for process)

Revision ID: 0014
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('work_orders') as batch_op:
        batch_op.add_column(sa.Column('co_units', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('hard_case_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('workflow_instances') as batch_op:
        batch_op.add_column(sa.Column('unit_code', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workflow_instances') as batch_op:
        batch_op.drop_column('unit_code')
    with op.batch_alter_table('work_orders') as batch_op:
        batch_op.drop_column('hard_case_at')
        batch_op.drop_column('co_units')
