"""the unit register: a handling unit's short name, assessment tier and disabled mark (duban unit)

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('handling_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_name', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('tier', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('handling_units', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('tier')
        batch_op.drop_column('short_name')
