"""who a pairing round could not place, so that the next round places them first

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'pairing_left_out',
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_pairing_left_out_member_id_members'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['round_id'], ['pairing_rounds.id'], name=op.f('fk_pairing_left_out_round_id_pairing_rounds'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('round_id', 'member_id', name=op.f('pk_pairing_left_out')),
    )


def downgrade() -> None:
    op.drop_table('pairing_left_out')
