"""Complaint cases keep the day it happened and the sum in dispute as values (bot/entities);
transcript conversations list the entity values their customer messages named (the analysts'
entity filter). Conversations stored before this get their entity rows when next refreshed
(`python -m scripts.transcripts consume --replay`).

Revision ID: 48969bc3b9c5
Revises: 5f1c42295b38
Create Date: 2026-12-04 17:04:19.554943
"""
from alembic import op
import sqlalchemy as sa


revision = '48969bc3b9c5'
down_revision = '5f1c42295b38'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('transcript_conversation_entity',
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('message_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('conversation_id', 'entity', 'value', name=op.f('pk_transcript_conversation_entity'))
    )
    with op.batch_alter_table('transcript_conversation_entity', schema=None) as batch_op:
        batch_op.create_index('ix_transcript_conversation_entity_entity_value', ['entity', 'value', 'conversation_id'], unique=False)

    with op.batch_alter_table('complaint_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurred_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('amount_cents', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('amount_currency', sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('complaint_case', schema=None) as batch_op:
        batch_op.drop_column('amount_currency')
        batch_op.drop_column('amount_cents')
        batch_op.drop_column('occurred_on')

    with op.batch_alter_table('transcript_conversation_entity', schema=None) as batch_op:
        batch_op.drop_index('ix_transcript_conversation_entity_entity_value')

    op.drop_table('transcript_conversation_entity')
