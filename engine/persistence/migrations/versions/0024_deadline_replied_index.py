"""work_orders (deadline_at, replied_at) instead of (deadline_at): the leader's 12-week on-time trend counts the orders
due each week and those replied in time from the index alone (an index-only scan), without reading the orders

Revision ID: 0024
Revises: 0023
"""
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('ix_work_orders_deadline_replied', ['deadline_at', 'replied_at'], unique=False)
        batch_op.drop_index('ix_work_orders_deadline_at')


def downgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('ix_work_orders_deadline_at', ['deadline_at'], unique=False)
        batch_op.drop_index('ix_work_orders_deadline_replied')
