"""the assessment kept current (assessment_kept_months) and indexes for the dashboard's day counts and the
staleness check of kept months

Revision ID: 0015
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0009'
branch_labels = None
depends_on = None

INDEXES = (
    ("work_orders", "ix_work_orders_signed_at", ["signed_at"]),
    ("work_orders", "ix_work_orders_replied_at", ["replied_at"]),
    ("work_orders", "ix_work_orders_closed_at", ["closed_at"]),
    ("order_events", "ix_order_events_recorded_at", ["recorded_at"]),
    ("actions", "ix_actions_recorded_at", ["recorded_at"]),
)


def upgrade() -> None:
    op.create_table(
        "assessment_kept_months",
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("formula_version", sa.String(32), nullable=False),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_assessment_kept_months")),
    )
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    op.drop_table("assessment_kept_months")
