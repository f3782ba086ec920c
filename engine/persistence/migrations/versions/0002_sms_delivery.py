"""SMS delivery: message text, provider status and receipts, failing contact numbers, inbound replies

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_OUTBOX_COLUMNS = [
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('content_key', sa.String(length=64), nullable=True),
    sa.Column('error_code', sa.String(length=16), nullable=True),
    sa.Column('status_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('related_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
]


def upgrade() -> None:
    with op.batch_alter_table('unit_contacts') as batch_op:
        batch_op.add_column(sa.Column('failing_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failing_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('outbox') as batch_op:
        for column in _OUTBOX_COLUMNS:
            batch_op.add_column(column)
        batch_op.create_index(batch_op.f('ix_outbox_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_recipient'), ['recipient'], unique=False)
    op.create_table(
        'sms_receipts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=True),
        sa.Column('provider_id', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('error_code', sa.String(length=16), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('applied', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_sms_receipts_outbox_id_outbox')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_receipts')),
        sa.UniqueConstraint('provider_id', 'status', name='uq_sms_receipts_provider_status'),
    )
    with op.batch_alter_table('sms_receipts') as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_receipts_outbox_id'), ['outbox_id'], unique=False)
    op.create_table(
        'inbound_sms',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('provider_id', sa.String(length=64), nullable=False),
        sa.Column('sender', sa.String(length=32), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('order_number', sa.String(length=64), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_sms')),
        sa.UniqueConstraint('provider_id', name=op.f('uq_inbound_sms_provider_id')),
    )


def downgrade() -> None:
    op.drop_table('inbound_sms')
    op.drop_table('sms_receipts')
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_recipient'))
        batch_op.drop_index(batch_op.f('ix_outbox_provider_id'))
        for column in reversed(_OUTBOX_COLUMNS):
            batch_op.drop_column(column.name)
    with op.batch_alter_table('unit_contacts') as batch_op:
        batch_op.drop_column('failing_reason')
        batch_op.drop_column('failing_since')
