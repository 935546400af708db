"""recurring polls: a poll may be a recurring poll's template, each occurrence names it, and a schedule may post
polls; a poll remembers which version of its tally its card's last edit shows

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _checks(polls: str, schedules: str) -> None:
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_polls_status_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_polls_status_valid'), f"status IN ({polls})")
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_schedules_kind_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_schedules_kind_valid'), f"kind IN ({schedules})")


def upgrade() -> None:
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('shown_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(op.f('ix_polls_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(op.f('fk_polls_series_id_polls'), 'polls', ['series_id'], ['id'], ondelete='SET NULL')
    _checks("'open', 'closed', 'recurring'", "'prompts', 'pairing', 'reminders', 'polls'")


def downgrade() -> None:
    op.execute("DELETE FROM schedules WHERE kind = 'polls'")
    op.execute("DELETE FROM polls WHERE status = 'recurring'")
    _checks("'open', 'closed'", "'prompts', 'pairing', 'reminders'")
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_polls_series_id_polls'), type_='foreignkey')
        batch_op.drop_index(op.f('ix_polls_series_id'))
        batch_op.drop_column('series_id')
        batch_op.drop_column('shown_version')
