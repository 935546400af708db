"""linked accounts: one person's identities on two platforms speak as one member; one-time link codes

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('linked_to', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_members_linked_to'), ['linked_to'], unique=False)
        batch.create_foreign_key(
            batch.f('fk_members_linked_to_members'), 'members', ['linked_to'], ['id'], ondelete='SET NULL'
        )
    op.create_table(
        'link_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['member_id'], ['members.id'], name=op.f('fk_link_codes_member_id_members'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_codes')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_link_codes_code_hash')),
    )
    op.create_index(op.f('ix_link_codes_member_id'), 'link_codes', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_link_codes_member_id'), table_name='link_codes')
    op.drop_table('link_codes')
    with op.batch_alter_table('members') as batch:
        batch.drop_constraint(batch.f('fk_members_linked_to_members'), type_='foreignkey')
        batch.drop_index(batch.f('ix_members_linked_to'))
        batch.drop_column('linked_to')
