"""anonymous suggestions keep a sealed address, not a sender; the outbox can carry a sealed address

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing anonymous suggestions are sealed at start-up, where the key is (bot.app).
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed_to', sa.Text(), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('target', existing_type=sa.String(length=80), type_=sa.String(length=300))
        batch_op.drop_constraint(op.f('ck_outbox_target_kind_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_outbox_target_kind_valid'), "target_kind IN ('channel', 'member', 'members', 'sealed')"
        )


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE target_kind = 'sealed'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_target_kind_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_outbox_target_kind_valid'), "target_kind IN ('channel', 'member', 'members')"
        )
        batch_op.alter_column('target', existing_type=sa.String(length=300), type_=sa.String(length=80))
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_column('sealed_to')
