"""work-order list: indexes for its filters and sorts (engine/persistence/order_search.py)

Revision ID: 0007
Revises: 0006
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# (table, index name, columns), for engine/persistence/order_search.py:
# - a filter followed by the list's default sort: a filtered page is read in index order and stops at its LIMIT;
# - (status, deadline_at) answers "overdue" (open and past the deadline) and its count from the index alone;
# - (returned_at, number) and (title, number) hold the order number, so the returned filter and the text search
#   (LIKE '%...%' cannot seek, it scans) read a narrow index instead of the wide table;
# - cards (order_number, withdrawn_at, color): a page's active cards, and "has an active card" per order.
INDEXES = (
    ('work_orders', 'ix_work_orders_status_dispatched', ['status', 'dispatched_at']),
    ('work_orders', 'ix_work_orders_status_deadline', ['status', 'deadline_at']),
    ('work_orders', 'ix_work_orders_unit_dispatched', ['unit_code', 'dispatched_at']),
    ('work_orders', 'ix_work_orders_returned_number', ['returned_at', 'number']),
    ('work_orders', 'ix_work_orders_title_number', ['title', 'number']),
    ('cards', 'ix_cards_order_active', ['order_number', 'withdrawn_at', 'color']),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
