"""an index on cards.withdrawn_at: is a kept assessment month stale because a card was withdrawn since? (read on
every page that shows a kept month; it walked every card by issued_at)

Revision ID: 0025
Revises: 0024
"""
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index('ix_cards_withdrawn_at', ['withdrawn_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_index('ix_cards_withdrawn_at')
