"""The knowledge base's answers in the database: versions with review, their audit trail, the
revision replicas watch, and the answer version of each FAQ reply in the transcript store.

Revision ID: b7e4d2a9c815
Revises: 395ae9ae4d8b
Create Date: 2026-12-05 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b7e4d2a9c815"
down_revision = "395ae9ae4d8b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "faq_answer_version",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_answer_version")),
        sa.UniqueConstraint("topic_id", "number", name="uq_faq_answer_version_topic_number"),
    )
    op.create_index(op.f("ix_faq_answer_version_topic_id"), "faq_answer_version", ["topic_id"])
    op.create_index(op.f("ix_faq_answer_version_status"), "faq_answer_version", ["status"])
    op.create_index(
        "ix_faq_answer_version_status_effective", "faq_answer_version", ["status", "effective_at"]
    )
    op.create_table(
        "faq_answer_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["faq_answer_version.id"],
            name=op.f("fk_faq_answer_event_version_id_faq_answer_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_answer_event")),
    )
    op.create_index(op.f("ix_faq_answer_event_version_id"), "faq_answer_event", ["version_id"])
    op.create_index(op.f("ix_faq_answer_event_topic_id"), "faq_answer_event", ["topic_id"])
    op.create_index(op.f("ix_faq_answer_event_created_at"), "faq_answer_event", ["created_at"])
    op.create_table(
        "faq_answer_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_answer_revision")),
    )
    with op.batch_alter_table("transcript_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_version_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_transcript_message_answer_version_id"), ["answer_version_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("transcript_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transcript_message_answer_version_id"))
        batch_op.drop_column("answer_version_id")
    op.drop_table("faq_answer_revision")
    op.drop_index(op.f("ix_faq_answer_event_created_at"), table_name="faq_answer_event")
    op.drop_index(op.f("ix_faq_answer_event_topic_id"), table_name="faq_answer_event")
    op.drop_index(op.f("ix_faq_answer_event_version_id"), table_name="faq_answer_event")
    op.drop_table("faq_answer_event")
    op.drop_index("ix_faq_answer_version_status_effective", table_name="faq_answer_version")
    op.drop_index(op.f("ix_faq_answer_version_status"), table_name="faq_answer_version")
    op.drop_index(op.f("ix_faq_answer_version_topic_id"), table_name="faq_answer_version")
    op.drop_table("faq_answer_version")
