"""a call closes at a moment: the start of the day after its closing date, in the time zone of who set it

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

calls = sa.table('calls', sa.column('id', sa.Integer), sa.column('closes_on', sa.Date), sa.column('closes_at', sa.DateTime(timezone=True)), sa.column('opened_by', sa.Integer))
members = sa.table('members', sa.column('id', sa.Integer), sa.column('tz', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(calls.c.id, calls.c.closes_on, members.c.tz)
        .select_from(calls.outerjoin(members, members.c.id == calls.c.opened_by))
        .where(calls.c.closes_on.is_not(None))
    ).all()
    for call_id, closes_on, tz in rows:
        try:
            zone = ZoneInfo(tz or "Europe/London")
        except Exception:
            zone = ZoneInfo("Europe/London")
        at = datetime.combine(closes_on + timedelta(days=1), time(), zone).astimezone(UTC)
        connection.execute(sa.update(calls).where(calls.c.id == call_id).values(closes_at=at))


def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('closes_at')
