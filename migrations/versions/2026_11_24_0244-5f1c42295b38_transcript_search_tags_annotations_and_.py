"""Transcript search index (jieba terms), conversation summaries and their intents, inline
events, tags, annotations, and the archive's service records with their retention date.

Revision ID: 5f1c42295b38
Revises: 58039de1afd5
Create Date: 2026-11-24 02:44:22.844314
"""
from alembic import op
import sqlalchemy as sa


revision = '5f1c42295b38'
down_revision = '58039de1afd5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('archive_service_record',
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('topics', sa.JSON(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retain_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_archive_service_record'))
    )
    with op.batch_alter_table('archive_service_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_service_record_retain_until'), ['retain_until'], unique=False)

    op.create_table('transcript_conversation',
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('message_count', sa.Integer(), nullable=False),
    sa.Column('first_customer_text', sa.String(length=200), nullable=True),
    sa.Column('intents', sa.JSON(), nullable=True),
    sa.Column('min_confidence', sa.Float(), nullable=True),
    sa.Column('fallback_count', sa.Integer(), nullable=False),
    sa.Column('handed_off', sa.Boolean(), nullable=False),
    sa.Column('handoff_reason', sa.String(length=16), nullable=True),
    sa.Column('complaint_filed', sa.Boolean(), nullable=False),
    sa.Column('case_number', sa.String(length=16), nullable=True),
    sa.Column('assessment_done', sa.Boolean(), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_transcript_conversation'))
    )
    with op.batch_alter_table('transcript_conversation', schema=None) as batch_op:
        batch_op.create_index('ix_transcript_conversation_channel_started', ['channel', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_transcript_conversation_min_confidence'), ['min_confidence'], unique=False)
        batch_op.create_index(batch_op.f('ix_transcript_conversation_satisfaction'), ['satisfaction'], unique=False)
        batch_op.create_index(batch_op.f('ix_transcript_conversation_started_at'), ['started_at'], unique=False)

    op.create_table('transcript_conversation_intent',
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('intent', sa.String(length=100), nullable=False),
    sa.Column('message_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('conversation_id', 'intent', name=op.f('pk_transcript_conversation_intent'))
    )
    with op.batch_alter_table('transcript_conversation_intent', schema=None) as batch_op:
        batch_op.create_index('ix_transcript_conversation_intent_intent', ['intent', 'conversation_id'], unique=False)

    op.create_table('transcript_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source_key', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript_event')),
    sa.UniqueConstraint('source_key', name=op.f('uq_transcript_event_source_key'))
    )
    with op.batch_alter_table('transcript_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcript_event_conversation_id'), ['conversation_id'], unique=False)

    op.create_table('transcript_tag',
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('tag', sa.String(length=50), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('conversation_id', 'tag', name=op.f('pk_transcript_tag'))
    )
    with op.batch_alter_table('transcript_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcript_tag_tag'), ['tag'], unique=False)

    op.create_table('transcript_term',
    sa.Column('term', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('term', 'conversation_id', 'message_id', name=op.f('pk_transcript_term'))
    )
    with op.batch_alter_table('transcript_term', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcript_term_conversation_id'), ['conversation_id'], unique=False)

    op.create_table('transcript_annotation',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('correct_intent', sa.String(length=100), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('author', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['transcript_message.id'], name=op.f('fk_transcript_annotation_message_id_transcript_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript_annotation'))
    )
    with op.batch_alter_table('transcript_annotation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcript_annotation_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transcript_annotation_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('transcript_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action_name', sa.String(length=100), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('transcript_message', schema=None) as batch_op:
        batch_op.drop_column('action_name')

    with op.batch_alter_table('transcript_annotation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcript_annotation_message_id'))
        batch_op.drop_index(batch_op.f('ix_transcript_annotation_conversation_id'))

    op.drop_table('transcript_annotation')
    with op.batch_alter_table('transcript_term', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcript_term_conversation_id'))

    op.drop_table('transcript_term')
    with op.batch_alter_table('transcript_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcript_tag_tag'))

    op.drop_table('transcript_tag')
    with op.batch_alter_table('transcript_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcript_event_conversation_id'))

    op.drop_table('transcript_event')
    with op.batch_alter_table('transcript_conversation_intent', schema=None) as batch_op:
        batch_op.drop_index('ix_transcript_conversation_intent_intent')

    op.drop_table('transcript_conversation_intent')
    with op.batch_alter_table('transcript_conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcript_conversation_started_at'))
        batch_op.drop_index(batch_op.f('ix_transcript_conversation_satisfaction'))
        batch_op.drop_index(batch_op.f('ix_transcript_conversation_min_confidence'))
        batch_op.drop_index('ix_transcript_conversation_channel_started')

    op.drop_table('transcript_conversation')
    with op.batch_alter_table('archive_service_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_archive_service_record_retain_until'))

    op.drop_table('archive_service_record')
