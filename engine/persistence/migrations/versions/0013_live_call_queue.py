"""a live call queue: supervisor tasks know the ladder step that raised them and end by themselves (superseded, with
the reason and what ended them); unit contacts carry a name; the tasks already stale end now

Revision ID: 0013
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('supervisor_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('superseded_reason', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('superseded_by', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_supervisor_tasks_status_order', ['status', 'order_number'], unique=False)
    with op.batch_alter_table('unit_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=50), nullable=True))
    op.execute("UPDATE supervisor_tasks SET step = (SELECT actions.step FROM actions "
               "WHERE actions.key = supervisor_tasks.action_key)")
    # Phone tasks that no longer need a call: the order was replied, closed or returned (or, for a sign-for chase,
    # signed), or a newer phone task of the same order is open.
    ended = ("UPDATE supervisor_tasks SET status = 'superseded', superseded_reason = '{reason}', "
             "superseded_by = 'migration 0013' WHERE status = 'open' AND kind = 'phone_urge' AND {where}")
    op.execute(ended.format(reason='migrated', where=(
        "order_number IN (SELECT number FROM work_orders WHERE status IN ('replied', 'closed') "
        "OR returned_at IS NOT NULL)")))
    op.execute(ended.format(reason='signed', where=(
        "step = 'sign_overdue' AND order_number IN (SELECT number FROM work_orders WHERE signed_at IS NOT NULL)")))
    op.execute(ended.format(reason='replaced', where=(
        "id < (SELECT MAX(t2.id) FROM supervisor_tasks t2 WHERE t2.order_number = supervisor_tasks.order_number "
        "AND t2.kind = 'phone_urge' AND t2.status = 'open')")))


def downgrade() -> None:
    op.execute("UPDATE supervisor_tasks SET status = 'done' WHERE status = 'superseded'")
    with op.batch_alter_table('unit_contacts', schema=None) as batch_op:
        batch_op.drop_column('name')
    with op.batch_alter_table('supervisor_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_supervisor_tasks_status_order')
        batch_op.drop_column('superseded_by')
        batch_op.drop_column('superseded_reason')
        batch_op.drop_column('step')
