"""issued documents: counters, documents (with their rendering state and content snapshot), document files

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document_counters',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'year', name=op.f('pk_document_counters'))
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('order_number', sa.String(length=64), nullable=True),
    sa.Column('quarter', sa.String(length=8), nullable=True),
    sa.Column('unit_code', sa.String(length=32), nullable=True),
    sa.Column('order_numbers', sa.JSON(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('source_key', sa.String(length=200), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('content', sa.JSON(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('claim', sa.String(length=64), nullable=True),
    sa.Column('render_attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['corrects_id'], ['documents.id'], name=op.f('fk_documents_corrects_id_documents')),
    sa.ForeignKeyConstraint(['order_number'], ['work_orders.number'],
                            name=op.f('fk_documents_order_number_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('corrects_id', name=op.f('uq_documents_corrects_id')),
    sa.UniqueConstraint('kind', 'year', 'serial', name='uq_documents_kind_year_serial'),
    sa.UniqueConstraint('number', name=op.f('uq_documents_number')),
    sa.UniqueConstraint('source_key', name=op.f('uq_documents_source_key'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_issued_at'), ['issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_order_number'), ['order_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_quarter'), ['quarter'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_state'), ['state'], unique=False)

    op.create_table('document_files',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                            name=op.f('fk_document_files_document_id_documents')),
    sa.PrimaryKeyConstraint('document_id', 'format', name=op.f('pk_document_files'))
    )


def downgrade() -> None:
    op.drop_table('document_files')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_state'))
        batch_op.drop_index(batch_op.f('ix_documents_quarter'))
        batch_op.drop_index(batch_op.f('ix_documents_order_number'))
        batch_op.drop_index(batch_op.f('ix_documents_issued_at'))
    op.drop_table('documents')
    op.drop_table('document_counters')
