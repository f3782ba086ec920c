"""duplicate candidates and merging (issue 19): a coarse grid cell and the parent (并单) on work orders; content
signatures with their LSH bands; the candidates found at intake with the supervisor's decision

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grid_cell', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('parent_number', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('merged_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_work_orders_grid_category_dispatched', ['grid_cell', 'category', 'dispatched_at'],
                              unique=False)
        batch_op.create_index('ix_work_orders_parent_number', ['parent_number'], unique=False)
    op.create_table(
        'order_text_signatures',
        sa.Column('order_number', sa.String(length=64), nullable=False),
        sa.Column('minhash', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['order_number'], ['work_orders.number'],
                                name=op.f('fk_order_text_signatures_order_number_work_orders')),
        sa.PrimaryKeyConstraint('order_number', name=op.f('pk_order_text_signatures')),
    )
    op.create_table(
        'order_text_bands',
        sa.Column('order_number', sa.String(length=64), nullable=False),
        sa.Column('band_no', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('band', sa.BigInteger(), nullable=False),
        sa.Column('dispatched_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['order_number'], ['work_orders.number'],
                                name=op.f('fk_order_text_bands_order_number_work_orders')),
        sa.PrimaryKeyConstraint('order_number', 'band_no', name=op.f('pk_order_text_bands')),
    )
    op.create_index('ix_order_text_bands_band_dispatched', 'order_text_bands', ['band', 'dispatched_at'], unique=False)
    op.create_table(
        'duplicate_candidates',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('order_number', sa.String(length=64), nullable=False),
        sa.Column('candidate_number', sa.String(length=64), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('found_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['order_number'], ['work_orders.number'],
                                name=op.f('fk_duplicate_candidates_order_number_work_orders')),
        sa.ForeignKeyConstraint(['candidate_number'], ['work_orders.number'],
                                name=op.f('fk_duplicate_candidates_candidate_number_work_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_candidates')),
        sa.UniqueConstraint('order_number', 'candidate_number', name='uq_duplicate_candidates_pair'),
    )
    op.create_index('ix_duplicate_candidates_candidate_number', 'duplicate_candidates', ['candidate_number'])
    op.create_index('ix_duplicate_candidates_found_at', 'duplicate_candidates', ['found_at'])


def downgrade() -> None:
    op.drop_table('duplicate_candidates')
    op.drop_index('ix_order_text_bands_band_dispatched', table_name='order_text_bands')
    op.drop_table('order_text_bands')
    op.drop_table('order_text_signatures')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_work_orders_parent_number')
        batch_op.drop_index('ix_work_orders_grid_category_dispatched')
        batch_op.drop_column('merged_at')
        batch_op.drop_column('parent_number')
        batch_op.drop_column('grid_cell')
