"""The knowledge base's answer versions, their review trail, and the revision replicas watch."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint

from bot.db import Base, UTCDateTime, utcnow


class FaqAnswerVersion(Base):
    """One wording of a topic's answer: a draft waiting for review, an approved (published or
    scheduled) version, or one that was rejected or withdrawn. Versions are never changed once
    decided; a new wording is a new version."""

    __tablename__ = "faq_answer_version"
    __table_args__ = (
        # Per-topic numbering (第 3 版); also stops two replicas seeding the same topic twice.
        UniqueConstraint("topic_id", "number", name="uq_faq_answer_version_topic_number"),
        Index("ix_faq_answer_version_status_effective", "status", "effective_at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    topic_id = Column(String(64), nullable=False, index=True)
    number = Column(Integer, nullable=False)
    # With {bank_hotline}-style placeholders, as in bot/faq/answers/<group>.yml.
    text = Column(Text, nullable=False)
    # Topic ids and {"intent", "title"} flow buttons, as the answer files write them.
    related = Column(JSON, nullable=False, default=list)
    # bot.faq.review: pending | approved | rejected | withdrawn.
    status = Column(String(16), nullable=False, index=True)
    # What the editor asked for: publish at approval (None) or from this time on.
    effective_from = Column(UTCDateTime(), nullable=True)
    # Approved versions: when the version serves customers (effective_from, or the approval time).
    effective_at = Column(UTCDateTime(), nullable=True)
    author = Column(String(64), nullable=False)
    note = Column(Text, nullable=True)  # the editor's reason for the change
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    reviewer = Column(String(64), nullable=True)
    review_comment = Column(Text, nullable=True)
    decided_at = Column(UTCDateTime(), nullable=True)


class FaqAnswerEvent(Base):
    """The audit trail: who drafted, approved, rejected or withdrew which version, and when."""

    __tablename__ = "faq_answer_event"

    id = Column(Integer, primary_key=True, autoincrement=True)
    version_id = Column(
        Integer, ForeignKey("faq_answer_version.id", ondelete="CASCADE"), nullable=False, index=True
    )
    topic_id = Column(String(64), nullable=False, index=True)
    # seeded | drafted | approved | rejected | withdrawn
    action = Column(String(16), nullable=False)
    actor = Column(String(64), nullable=False)
    comment = Column(Text, nullable=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow, index=True)


class FaqAnswerRevision(Base):
    """One row counting changes to the approved answers. Every process serving answers compares
    it with the revision it loaded (a primary-key read per answer), so an approval on one replica
    reaches the others at their next answer."""

    __tablename__ = "faq_answer_revision"

    id = Column(Integer, primary_key=True)
    revision = Column(Integer, nullable=False, default=0)
    changed_at = Column(UTCDateTime(), nullable=False, default=utcnow)
