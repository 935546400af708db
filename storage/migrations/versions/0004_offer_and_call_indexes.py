"""indexes on a group's calls and offers, and on a message's post and edits, which every offer reads

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_calls_group', 'calls', ['group_id'], unique=False)
    op.create_index('ix_offers_tally', 'volunteer_offers', ['group_id', 'status', 'role'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_key')
        batch_op.create_index('ix_outbox_message', ['message_key', 'mode'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message')
        batch_op.create_index('ix_outbox_message_key', ['message_key'], unique=False)
    op.drop_index('ix_offers_tally', table_name='volunteer_offers')
    op.drop_index('ix_calls_group', table_name='calls')
