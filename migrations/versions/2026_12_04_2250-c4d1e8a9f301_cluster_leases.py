"""Cluster leases: one API replica at a time runs the housekeeping rounds.

Revision ID: c4d1e8a9f301
Revises: a17f0e5d2c41
Create Date: 2026-12-04 22:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c4d1e8a9f301'
down_revision = 'a17f0e5d2c41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lease',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_lease'))
    )


def downgrade() -> None:
    op.drop_table('lease')
