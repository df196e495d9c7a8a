"""Staff login failures remember the client address: throttling per address and overall, not
only per username.

Revision ID: 9a3f6c2e8b51
Revises: 5e0c2b7d9a14
Create Date: 2026-12-05 08:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '9a3f6c2e8b51'
down_revision = '5e0c2b7d9a14'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_login_failure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_staff_login_failure_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_login_failure_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_login_failure_created_at'))
        batch_op.drop_index(batch_op.f('ix_staff_login_failure_address'))
        batch_op.drop_column('address')
