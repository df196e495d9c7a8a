"""Rate-limit windows: hits per key (conversation or client address) and fixed window.

Revision ID: b30e46c5e388
Revises: 5b53ac8d108c
Create Date: 2026-11-23 22:52:29.049319
"""
from alembic import op
import sqlalchemy as sa


revision = 'b30e46c5e388'
down_revision = '5b53ac8d108c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_limit_window',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start', name=op.f('pk_rate_limit_window'))
    )
    with op.batch_alter_table('rate_limit_window', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_window_expires_at'), ['expires_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rate_limit_window', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_window_expires_at'))

    op.drop_table('rate_limit_window')
