"""Transcript store: masked messages of every conversation for analysts, and the consumer cursor.

Revision ID: 58039de1afd5
Revises: b30e46c5e388
Create Date: 2026-11-24 01:05:24.610224
"""
from alembic import op
import sqlalchemy as sa


revision = '58039de1afd5'
down_revision = 'b30e46c5e388'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('transcript_cursor',
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_transcript_cursor'))
    )
    op.create_table('transcript_message',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source_key', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('sender', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('normalized_text', sa.Text(), nullable=True),
    sa.Column('intent', sa.String(length=100), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('entities', sa.JSON(), nullable=True),
    sa.Column('fallback', sa.Boolean(), nullable=False),
    sa.Column('agent_name', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript_message')),
    sa.UniqueConstraint('source_key', name=op.f('uq_transcript_message_source_key'))
    )
    with op.batch_alter_table('transcript_message', schema=None) as batch_op:
        batch_op.create_index('ix_transcript_message_conversation_time', ['conversation_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_transcript_message_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_transcript_message_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transcript_message_intent'), ['intent'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transcript_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcript_message_intent'))
        batch_op.drop_index(batch_op.f('ix_transcript_message_customer_id'))
        batch_op.drop_index(batch_op.f('ix_transcript_message_created_at'))
        batch_op.drop_index('ix_transcript_message_conversation_time')

    op.drop_table('transcript_message')
    op.drop_table('transcript_cursor')
