"""Transcripts know the dialogue step of each customer message (active form, requested slot),
the button a message came from (payload, with the title shown instead) and the buttons an
assistant message offered; conversations get an outcome (self_service | handed_off |
unresolved), their customer message count and whether a call-back was requested; the state of
each conversation's dialogue is kept between broker batches; call-back requests keep why the
customer wanted a person.

Revision ID: a17f0e5d2c41
Revises: 48969bc3b9c5
Create Date: 2026-12-04 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = "a17f0e5d2c41"
down_revision = "48969bc3b9c5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transcript_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("requested_slot", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("payload", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("buttons", sa.JSON(), nullable=True))

    with op.batch_alter_table("transcript_conversation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("customer_message_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("callback_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_transcript_conversation_outcome"), ["outcome"], unique=False)

    op.create_table(
        "transcript_dialogue_state",
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("active_form", sa.String(length=64), nullable=True),
        sa.Column("requested_slot", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_transcript_dialogue_state")),
    )

    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.drop_column("reason")

    op.drop_table("transcript_dialogue_state")

    with op.batch_alter_table("transcript_conversation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transcript_conversation_outcome"))
        batch_op.drop_column("outcome")
        batch_op.drop_column("callback_requested")
        batch_op.drop_column("customer_message_count")

    with op.batch_alter_table("transcript_message", schema=None) as batch_op:
        batch_op.drop_column("buttons")
        batch_op.drop_column("payload")
        batch_op.drop_column("requested_slot")
        batch_op.drop_column("form")
