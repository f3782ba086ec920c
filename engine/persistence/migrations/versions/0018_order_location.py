"""location and content on every work order (issue 19): the request, the address as given and its normalised key,
the district, WGS-84 coordinates and the caller's phone

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

COLUMNS = (
    ("content", sa.Text()),
    ("address", sa.String(length=300)),
    ("address_key", sa.String(length=300)),
    ("district", sa.String(length=50)),
    ("latitude", sa.Float()),
    ("longitude", sa.Float()),
    ("caller_phone", sa.String(length=32)),
)
INDEXED = ("address_key", "district", "caller_phone")


def upgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        for name in INDEXED:
            batch_op.create_index(f'ix_work_orders_{name}', [name], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        for name in reversed(INDEXED):
            batch_op.drop_index(f'ix_work_orders_{name}')
        for name, _kind in reversed(COLUMNS):
            batch_op.drop_column(name)
