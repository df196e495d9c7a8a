"""Complaint cases, their audit trail, daily number counters and failed contact checks.

Revision ID: 03185887f505
Revises: 78d5a2387154
Create Date: 2026-11-23 21:43:56.333144
"""
from alembic import op
import sqlalchemy as sa


revision = '03185887f505'
down_revision = '78d5a2387154'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaint_case_counter',
    sa.Column('day', sa.String(length=8), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_complaint_case_counter'))
    )
    op.create_table('complaint_case',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('contact_phone_encrypted', sa.Text(), nullable=True),
    sa.Column('contact_phone_masked', sa.String(length=16), nullable=True),
    sa.Column('customer_name_encrypted', sa.Text(), nullable=True),
    sa.Column('customer_name_masked', sa.String(length=32), nullable=True),
    sa.Column('channel_code', sa.String(length=8), nullable=True),
    sa.Column('business_code', sa.String(length=8), nullable=True),
    sa.Column('reason_code', sa.String(length=8), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('request', sa.Text(), nullable=True),
    sa.Column('occurred_when', sa.String(length=100), nullable=True),
    sa.Column('intake_channel', sa.String(length=16), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('extension_count', sa.Integer(), nullable=False),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('extension_approval_note', sa.Text(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('answer_text', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('extension_count BETWEEN 0 AND 2', name=op.f('ck_complaint_case_extension_count_range')),
    sa.CheckConstraint('satisfaction BETWEEN 1 AND 5', name=op.f('ck_complaint_case_satisfaction_range')),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_account.id'], name=op.f('fk_complaint_case_assignee_id_staff_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_case')),
    sa.UniqueConstraint('number', name=op.f('uq_complaint_case_number'))
    )
    with op.batch_alter_table('complaint_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_case_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_case_business_code'), ['business_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_case_channel_code'), ['channel_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_case_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_case_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_case_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_case_reason_code'), ['reason_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_case_status'), ['status'], unique=False)

    op.create_table('complaint_case_check_failure',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('conversation_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['complaint_case.id'], name=op.f('fk_complaint_case_check_failure_case_id_complaint_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_case_check_failure'))
    )
    with op.batch_alter_table('complaint_case_check_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_case_check_failure_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_case_check_failure_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_case_check_failure_created_at'), ['created_at'], unique=False)

    op.create_table('complaint_case_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['complaint_case.id'], name=op.f('fk_complaint_case_event_case_id_complaint_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_case_event'))
    )
    with op.batch_alter_table('complaint_case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_case_event_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('complaint_case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_case_event_case_id'))

    op.drop_table('complaint_case_event')
    with op.batch_alter_table('complaint_case_check_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_case_check_failure_created_at'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_check_failure_conversation_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_check_failure_case_id'))

    op.drop_table('complaint_case_check_failure')
    with op.batch_alter_table('complaint_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_case_status'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_reason_code'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_due_at'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_customer_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_conversation_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_channel_code'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_business_code'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_assignee_id'))

    op.drop_table('complaint_case')
    op.drop_table('complaint_case_counter')
