"""Handoffs to human agents, their audit trail, agent presence and call-back requests.

Revision ID: 5b53ac8d108c
Revises: 03185887f505
Create Date: 2026-11-23 22:07:07.180920
"""
from alembic import op
import sqlalchemy as sa


revision = '5b53ac8d108c'
down_revision = '03185887f505'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent_presence',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_account.id'], name=op.f('fk_agent_presence_staff_id_staff_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_agent_presence'))
    )
    with op.batch_alter_table('agent_presence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_presence_updated_at'), ['updated_at'], unique=False)

    op.create_table('callback_request',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=True),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('phone_encrypted', sa.Text(), nullable=False),
    sa.Column('phone_masked', sa.String(length=16), nullable=False),
    sa.Column('preferred_time', sa.String(length=50), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['done_by_id'], ['staff_account.id'], name=op.f('fk_callback_request_done_by_id_staff_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_request'))
    )
    with op.batch_alter_table('callback_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_request_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_request_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_request_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_request_status'), ['status'], unique=False)

    op.create_table('handoff',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('context', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('satisfaction BETWEEN 1 AND 5', name=op.f('ck_handoff_satisfaction_range')),
    sa.ForeignKeyConstraint(['agent_id'], ['staff_account.id'], name=op.f('fk_handoff_agent_id_staff_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff'))
    )
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_status'), ['status'], unique=False)
        batch_op.create_index('uq_handoff_active_conversation', ['conversation_id'], unique=True, sqlite_where=sa.text("status IN ('waiting', 'claimed')"), postgresql_where=sa.text("status IN ('waiting', 'claimed')"))

    op.create_table('handoff_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=True),
    sa.Column('callback_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(handoff_id IS NULL) <> (callback_id IS NULL)', name=op.f('ck_handoff_event_one_subject')),
    sa.ForeignKeyConstraint(['callback_id'], ['callback_request.id'], name=op.f('fk_handoff_event_callback_id_callback_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoff.id'], name=op.f('fk_handoff_event_handoff_id_handoff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_event'))
    )
    with op.batch_alter_table('handoff_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_event_callback_id'), ['callback_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_event_handoff_id'), ['handoff_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('handoff_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_event_handoff_id'))
        batch_op.drop_index(batch_op.f('ix_handoff_event_callback_id'))

    op.drop_table('handoff_event')
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.drop_index('uq_handoff_active_conversation')
        batch_op.drop_index(batch_op.f('ix_handoff_status'))
        batch_op.drop_index(batch_op.f('ix_handoff_customer_id'))
        batch_op.drop_index(batch_op.f('ix_handoff_conversation_id'))
        batch_op.drop_index(batch_op.f('ix_handoff_agent_id'))

    op.drop_table('handoff')
    with op.batch_alter_table('callback_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_request_status'))
        batch_op.drop_index(batch_op.f('ix_callback_request_customer_id'))
        batch_op.drop_index(batch_op.f('ix_callback_request_created_at'))
        batch_op.drop_index(batch_op.f('ix_callback_request_conversation_id'))

    op.drop_table('callback_request')
    with op.batch_alter_table('agent_presence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_presence_updated_at'))

    op.drop_table('agent_presence')
