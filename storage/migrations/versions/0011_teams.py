"""teams: conversation references for proactive messages, and people's personal chats

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'teams_conversations',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('conversation_id', sa.String(length=300), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('service_url', sa.String(length=300), nullable=False),
        sa.Column('team_id', sa.String(length=300), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('reference', sa.JSON(), nullable=False),
        sa.Column('installed', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('personal', 'channel', 'groupChat')", name=op.f('ck_teams_conversations_kind_valid')),
        sa.PrimaryKeyConstraint('tenant', 'conversation_id', name=op.f('pk_teams_conversations')),
    )
    op.create_index('ix_teams_conversations_team', 'teams_conversations', ['tenant', 'team_id'], unique=False)
    op.create_table(
        'teams_users',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('bot_framework_id', sa.String(length=200), nullable=True),
        sa.Column('conversation_id', sa.String(length=300), nullable=True),
        sa.Column('service_url', sa.String(length=300), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant', 'user_id', name=op.f('pk_teams_users')),
    )


def downgrade() -> None:
    op.drop_table('teams_users')
    op.drop_index('ix_teams_conversations_team', table_name='teams_conversations')
    op.drop_table('teams_conversations')
