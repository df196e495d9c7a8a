"""Action effects: what an action did for one customer message, so a resent message does it once.

Revision ID: 395ae9ae4d8b
Revises: 9a3f6c2e8b51
Create Date: 2026-12-05 21:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "395ae9ae4d8b"
down_revision = "9a3f6c2e8b51"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_effect",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_effect")),
        sa.UniqueConstraint(
            "conversation_id", "message_id", "action", name="uq_action_effect_message_action"
        ),
    )


def downgrade() -> None:
    op.drop_table("action_effect")
