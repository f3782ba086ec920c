"""web application: users, login attempts, cards; returned orders; completed supervisor tasks

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['unit_code'], ['handling_units.code'], name=op.f('fk_users_unit_code_handling_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    op.create_index('ix_login_attempts_username_at', 'login_attempts', ['username', 'at'], unique=False)
    op.create_index('ix_login_attempts_address_at', 'login_attempts', ['address', 'at'], unique=False)
    op.create_table('cards',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('order_number', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('color', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('action_key', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=64), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_number'], ['work_orders.number'], name=op.f('fk_cards_order_number_work_orders')),
    sa.ForeignKeyConstraint(['unit_code'], ['handling_units.code'], name=op.f('fk_cards_unit_code_handling_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cards')),
    sa.UniqueConstraint('action_key', name=op.f('uq_cards_action_key'))
    )
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cards_order_number'), ['order_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_cards_unit_code'), ['unit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cards_issued_at'), ['issued_at'], unique=False)
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('returned_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('supervisor_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('completed_by', sa.String(length=64), nullable=True))
    # cards the rules issued before this version: one row each, from the actions
    op.execute("INSERT INTO cards (order_number, unit_code, color, source, action_key, reason, issued_at, issued_by) "
               "SELECT a.order_number, a.unit_code, CASE a.kind WHEN 'red_card' THEN 'red' ELSE 'yellow' END, 'rule', "
               "a.key, COALESCE(a.step, ''), a.at, 'rules' FROM actions a "
               "WHERE a.kind IN ('yellow_card', 'red_card') AND a.order_number IS NOT NULL AND a.unit_code IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('supervisor_tasks', schema=None) as batch_op:
        batch_op.drop_column('completed_by')
        batch_op.drop_column('completed_at')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_column('returned_at')
    op.drop_table('cards')
    op.drop_index('ix_login_attempts_address_at', table_name='login_attempts')
    op.drop_index('ix_login_attempts_username_at', table_name='login_attempts')
    op.drop_table('login_attempts')
    op.drop_table('users')
