"""change log in commit order (export and push read it), push parking (outbox.failing_since)

Existing events and actions get positions: first the rows the export push had already queued (so its cursor
stays exact), then the rest, each group in the order they were recorded. The stored push cursors become
positions; the 12315 cursor may resume a little early (its messages are keyed by event id, so nothing is sent
twice).

Revision ID: 0009
Revises: 0012
"""
import re

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0012'
branch_labels = None
depends_on = None

_OLD_EXPORT_CURSOR = re.compile(r"^e(\d{1,18})-a(\d{1,18})$")


def upgrade() -> None:
    op.create_table('change_log',
    sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('order_number', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_change_log'))
    )
    op.create_index('ix_change_log_kind_row', 'change_log', ['kind', 'row_id'], unique=True)
    op.create_table('change_counter',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_counter'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failing_since', sa.DateTime(), nullable=True))
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    cursors = dict(connection.execute(sa.text("SELECT name, cursor FROM api_push_cursors")).all())
    match = _OLD_EXPORT_CURSOR.match(cursors.get("export") or "")
    queued_events, queued_actions = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    connection.execute(sa.text(
        "INSERT INTO change_log (position, kind, row_id, order_number) "
        "SELECT ROW_NUMBER() OVER (ORDER BY queued DESC, recorded_at, kind DESC, row_id), kind, row_id, order_number "
        "FROM (SELECT 'event' AS kind, id AS row_id, order_number, recorded_at, "
        "             CASE WHEN id <= :e THEN 1 ELSE 0 END AS queued FROM order_events "
        "      UNION ALL "
        "      SELECT 'action', id, order_number, recorded_at, CASE WHEN id <= :a THEN 1 ELSE 0 END FROM actions) rows"),
        {"e": queued_events, "a": queued_actions})
    last = connection.execute(sa.text("SELECT COALESCE(MAX(position), 0) FROM change_log")).scalar()
    connection.execute(sa.text("INSERT INTO change_counter (id, position) VALUES (1, :p)"), {"p": last})
    if match:
        covered = connection.execute(sa.text(
            "SELECT COUNT(*) FROM change_log WHERE (kind = 'event' AND row_id <= :e) OR (kind = 'action' AND row_id <= :a)"),
            {"e": queued_events, "a": queued_actions}).scalar()
        _set_cursor(connection, "export", f"p{covered}")
    old_12315 = cursors.get("12315") or ""
    if old_12315.isdigit():
        first_new = connection.execute(sa.text(
            "SELECT MIN(position) FROM change_log WHERE kind = 'event' AND row_id > :e"), {"e": int(old_12315)}).scalar()
        _set_cursor(connection, "12315", f"p{first_new - 1 if first_new is not None else last}")


def _set_cursor(connection: sa.Connection, name: str, cursor: str) -> None:
    connection.execute(sa.text("UPDATE api_push_cursors SET cursor = :c WHERE name = :n"), {"c": cursor, "n": name})


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('failing_since')
    op.drop_table('change_counter')
    op.drop_index('ix_change_log_kind_row', table_name='change_log')
    op.drop_table('change_log')
