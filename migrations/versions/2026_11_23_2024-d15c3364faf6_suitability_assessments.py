"""Risk-tolerance assessments and their answers.

Revision ID: d15c3364faf6
Revises: cbfaceb11105
Create Date: 2026-11-23 20:24:14.073326
"""
from alembic import op
import sqlalchemy as sa


revision = 'd15c3364faf6'
down_revision = 'cbfaceb11105'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('suitability_assessment',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('questionnaire_version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_points', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=2), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suitability_assessment'))
    )
    with op.batch_alter_table('suitability_assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suitability_assessment_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_suitability_assessment_customer_id'), ['customer_id'], unique=False)

    op.create_table('suitability_answer',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=32), nullable=False),
    sa.Column('question_text', sa.Text(), nullable=False),
    sa.Column('option_index', sa.Integer(), nullable=False),
    sa.Column('option_label', sa.Text(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['suitability_assessment.id'], name=op.f('fk_suitability_answer_assessment_id_suitability_assessment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suitability_answer'))
    )
    with op.batch_alter_table('suitability_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suitability_answer_assessment_id'), ['assessment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('suitability_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suitability_answer_assessment_id'))

    op.drop_table('suitability_answer')
    with op.batch_alter_table('suitability_assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suitability_assessment_customer_id'))
        batch_op.drop_index(batch_op.f('ix_suitability_assessment_conversation_id'))

    op.drop_table('suitability_assessment')
