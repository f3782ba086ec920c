"""room for mainland providers' error codes (Aliyun's isv.BUSINESS_LIMIT_CONTROL is 26 characters)

Revision ID: 0012
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('outbox', 'sms_receipts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('error_code', existing_type=sa.String(16), type_=sa.String(64))


def downgrade() -> None:
    for table in ('outbox', 'sms_receipts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('error_code', existing_type=sa.String(64), type_=sa.String(16))
