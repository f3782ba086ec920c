"""performance assessment: published periods, scores, explanation lines, appeals, exemptions

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assessment_periods',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('formula_version', sa.String(length=32), nullable=False),
    sa.Column('formula', sa.JSON(), nullable=False),
    sa.Column('sign_working_days', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('supersedes', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['supersedes'], ['assessment_periods.id'],
                            name=op.f('fk_assessment_periods_supersedes_assessment_periods')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_periods')),
    sa.UniqueConstraint('period', 'revision', name='uq_assessment_periods_period_revision')
    )
    with op.batch_alter_table('assessment_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_periods_period'), ['period'], unique=False)
    op.create_table('assessment_exemptions',
    sa.Column('order_number', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['order_number'], ['work_orders.number'],
                            name=op.f('fk_assessment_exemptions_order_number_work_orders')),
    sa.PrimaryKeyConstraint('order_number', name=op.f('pk_assessment_exemptions'))
    )
    op.create_table('assessment_scores',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('total', sa.String(length=16), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['period_id'], ['assessment_periods.id'],
                            name=op.f('fk_assessment_scores_period_id_assessment_periods')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_scores')),
    sa.UniqueConstraint('period_id', 'unit_code', name='uq_assessment_scores_period_unit')
    )
    with op.batch_alter_table('assessment_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_scores_period_id'), ['period_id'], unique=False)
    op.create_table('assessment_lines',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('item', sa.String(length=24), nullable=False),
    sa.Column('order_number', sa.String(length=64), nullable=True),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('excluded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['period_id'], ['assessment_periods.id'],
                            name=op.f('fk_assessment_lines_period_id_assessment_periods')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_lines'))
    )
    with op.batch_alter_table('assessment_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_lines_order_number'), ['order_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_lines_period_id'), ['period_id'], unique=False)
    op.create_table('assessment_appeals',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('item', sa.String(length=24), nullable=False),
    sa.Column('order_number', sa.String(length=64), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('filed_by', sa.String(length=64), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['revision_id'], ['assessment_periods.id'],
                            name=op.f('fk_assessment_appeals_revision_id_assessment_periods')),
    sa.ForeignKeyConstraint(['unit_code'], ['handling_units.code'],
                            name=op.f('fk_assessment_appeals_unit_code_handling_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_appeals'))
    )
    with op.batch_alter_table('assessment_appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_appeals_period'), ['period'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('assessment_appeals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_appeals_period'))
    op.drop_table('assessment_appeals')
    with op.batch_alter_table('assessment_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_lines_period_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_lines_order_number'))
    op.drop_table('assessment_lines')
    with op.batch_alter_table('assessment_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_scores_period_id'))
    op.drop_table('assessment_scores')
    op.drop_table('assessment_exemptions')
    with op.batch_alter_table('assessment_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_periods_period'))
    op.drop_table('assessment_periods')
