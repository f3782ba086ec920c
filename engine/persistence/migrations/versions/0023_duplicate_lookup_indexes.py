"""duplicate lookup at a million orders (issue 19): open orders by grid cell and category (a partial index: the
window's range and the still-open orders are two index scans instead of every order ever made in the cells), and
the content bands' index carries the order number (an index-only scan)

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

OPEN = sa.text("status <> 'closed'")


def upgrade() -> None:
    op.create_index('ix_work_orders_open_grid_category', 'work_orders', ['grid_cell', 'category'], unique=False,
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.drop_index('ix_order_text_bands_band_dispatched', table_name='order_text_bands')
    op.create_index('ix_order_text_bands_band_dispatched_order', 'order_text_bands',
                    ['band', 'dispatched_at', 'order_number'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_order_text_bands_band_dispatched_order', table_name='order_text_bands')
    op.create_index('ix_order_text_bands_band_dispatched', 'order_text_bands', ['band', 'dispatched_at'], unique=False)
    op.drop_index('ix_work_orders_open_grid_category', table_name='work_orders')
