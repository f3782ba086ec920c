"""work-order list: indexes for its filters and sorts (engine/persistence/order_search.py)

Revision ID: 0007
Revises: 0006
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# (table, index name, columns): a filter followed by the list's default sort, so a filtered page is read in
# index order and stops at its LIMIT; (status, deadline_at) answers "overdue"; cards(withdrawn_at, color,
# order_number) answers "has an active card" from the index alone.
INDEXES = (
    ('work_orders', 'ix_work_orders_status_dispatched', ['status', 'dispatched_at']),
    ('work_orders', 'ix_work_orders_status_deadline', ['status', 'deadline_at']),
    ('work_orders', 'ix_work_orders_unit_dispatched', ['unit_code', 'dispatched_at']),
    ('work_orders', 'ix_work_orders_returned_at', ['returned_at']),
    ('cards', 'ix_cards_active', ['withdrawn_at', 'color', 'order_number']),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
