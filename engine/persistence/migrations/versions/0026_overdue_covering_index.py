"""work_orders (status, deadline_at, returned_at, unit_code) instead of (status, deadline_at): the list still walks it
by status and deadline, and the overdue counts of the dashboard, the leader's page and the workbench (open, held by
the unit, past its deadline; per unit) read the index alone instead of every open order's row

Revision ID: 0026
Revises: 0025
"""
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('ix_work_orders_status_deadline_unit',
                              ['status', 'deadline_at', 'returned_at', 'unit_code'], unique=False)
        batch_op.drop_index('ix_work_orders_status_deadline')


def downgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('ix_work_orders_status_deadline', ['status', 'deadline_at'], unique=False)
        batch_op.drop_index('ix_work_orders_status_deadline_unit')
