"""reviews: a poll may be a group's on-course review, and a group says how often it is reviewed

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('polls', sa.Column('review', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index('ix_polls_group_review', 'polls', ['group_id', 'review', 'created_at'], unique=False)
    op.add_column('groups', sa.Column('review_every', sa.String(length=10), nullable=True))


def downgrade() -> None:
    op.drop_column('groups', 'review_every')
    op.drop_index('ix_polls_group_review', table_name='polls')
    op.drop_column('polls', 'review')
