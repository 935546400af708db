"""deliveries received from every platform in one table; indexes so that no command scans a table that grows
with history

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa



revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # What was seen of Slack is kept for a day, for retries and replays: it need not be carried over.
    op.drop_index(op.f('ix_slack_seen_seen_at'), table_name='slack_seen')
    op.drop_table('slack_seen')
    op.create_table('received',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_received'))
    )
    op.create_index(op.f('ix_received_seen_at'), 'received', ['seen_at'], unique=False)
    op.create_index(op.f('ix_pairs_member_c'), 'pairs', ['member_c'], unique=False)
    op.create_index(op.f('ix_suggestions_status'), 'suggestions', ['status'], unique=False)
    op.create_index(op.f('ix_volunteer_offers_member_id'), 'volunteer_offers', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_volunteer_offers_member_id'), table_name='volunteer_offers')
    op.drop_index(op.f('ix_suggestions_status'), table_name='suggestions')
    op.drop_index(op.f('ix_pairs_member_c'), table_name='pairs')
    op.drop_index(op.f('ix_received_seen_at'), table_name='received')
    op.drop_table('received')
    op.create_table('slack_seen',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_slack_seen'))
    )
    op.create_index(op.f('ix_slack_seen_seen_at'), 'slack_seen', ['seen_at'], unique=False)
