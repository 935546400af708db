"""cron rules typed with numeric days of the week mean what standard cron means (Sunday is 0 and 7)

Before, a rule typed as cron:"0 9 * * 1-5" was evaluated as APScheduler counts days (Monday is 0), so it ran
Tuesday to Saturday. Each schedule whose rule was typed as cron: is evaluated again from what was typed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
import re

from alembic import op
import sqlalchemy as sa

from handlers.command.timing import parse_cron


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

schedules = sa.table('schedules', sa.column('id', sa.Integer), sa.column('rule', sa.String), sa.column('cron', sa.String), sa.column('tz', sa.String))


def upgrade() -> None:
    connection = op.get_bind()
    for row in connection.execute(sa.select(schedules)).all():
        typed = re.fullmatch(r'cron:"(.+)"', row.rule or "")
        if typed is None:
            continue
        try:
            cron = parse_cron(typed.group(1), row.tz)
        except Exception:  # a rule that no longer reads: leave it as it was
            continue
        if cron != row.cron:
            connection.execute(sa.update(schedules).where(schedules.c.id == row.id).values(cron=cron))


def downgrade() -> None:
    pass  # the rules as typed are kept: nothing to undo
