"""Dialogue stage: the form step a customer's answer belongs to, so a name or phone is masked whole.

Revision ID: e7b2c94d1a60
Revises: c4d1e8a9f301
Create Date: 2026-12-05 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'e7b2c94d1a60'
down_revision = 'c4d1e8a9f301'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transcript_dialogue_state') as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('transcript_dialogue_state') as batch_op:
        batch_op.drop_column('stage')
