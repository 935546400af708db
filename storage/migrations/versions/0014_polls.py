"""polls and votes: named votes name their member, anonymous ones only a keyed hash

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'polls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question', sa.String(length=300), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('max_choices', sa.Integer(), nullable=False),
        sa.Column('anonymous', sa.Boolean(), nullable=False),
        sa.Column('hidden', sa.Boolean(), nullable=False),
        sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('group_id', sa.Integer(), nullable=True),
        sa.Column('platform', sa.String(length=20), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=200), nullable=True),
        sa.Column('creator_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('choice', 'rating', 'text')", name=op.f('ck_polls_kind_valid')),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_polls_status_valid')),
        sa.CheckConstraint('max_choices >= 1', name=op.f('ck_polls_max_choices_positive')),
        sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_polls_group_id_groups'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['creator_id'], ['members.id'], name=op.f('fk_polls_creator_id_members'), ondelete='SET NULL'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_polls')),
    )
    op.create_index(op.f('ix_polls_group_id'), 'polls', ['group_id'], unique=False)
    op.create_index(op.f('ix_polls_creator_id'), 'polls', ['creator_id'], unique=False)
    op.create_index('ix_polls_open_closing', 'polls', ['status', 'closes_at'], unique=False)
    op.create_table(
        'votes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('poll_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('voter', sa.String(length=64), nullable=True),
        sa.Column('choices', sa.JSON(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.CheckConstraint('(member_id IS NULL) <> (voter IS NULL)', name=op.f('ck_votes_named_or_hashed')),
        sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_votes_poll_id_polls'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['member_id'], ['members.id'], name=op.f('fk_votes_member_id_members'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_votes')),
        sa.UniqueConstraint('poll_id', 'member_id', name='uq_votes_poll_member'),
        sa.UniqueConstraint('poll_id', 'voter', name='uq_votes_poll_voter'),
    )
    op.create_index(op.f('ix_votes_poll_id'), 'votes', ['poll_id'], unique=False)
    op.create_index(op.f('ix_votes_member_id'), 'votes', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_votes_member_id'), table_name='votes')
    op.drop_index(op.f('ix_votes_poll_id'), table_name='votes')
    op.drop_table('votes')
    op.drop_index('ix_polls_open_closing', table_name='polls')
    op.drop_index(op.f('ix_polls_creator_id'), table_name='polls')
    op.drop_index(op.f('ix_polls_group_id'), table_name='polls')
    op.drop_table('polls')
