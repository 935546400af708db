"""indexes on a group's calls and offers, which every offer reads

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
    op.create_index('ix_offers_group_status', 'volunteer_offers', ['group_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_offers_group_status', table_name='volunteer_offers')
    op.drop_index('ix_calls_group', table_name='calls')
