"""a group's channels on other platforms: its posts go to Slack and Teams alike

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'group_channels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=20), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=True),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['group_id'], ['groups.id'], name=op.f('fk_group_channels_group_id_groups'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_channels')),
        sa.UniqueConstraint('group_id', 'platform', 'workspace', name='uq_group_channels_place'),
    )
    op.create_index(op.f('ix_group_channels_group_id'), 'group_channels', ['group_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_group_channels_group_id'), table_name='group_channels')
    op.drop_table('group_channels')
