"""Service records: one per conversation, what it was about and how it ended, kept until its
retention date (`TRANSCRIPT_RETENTION_DAYS` after the last message)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, String

from bot.db import Base, UTCDateTime

ANSWERED = "answered"
HANDED_OFF = "handed_off"
COMPLAINT_FILED = "complaint_filed"
ASSESSMENT_DONE = "assessment_done"
OUTCOMES = (ANSWERED, HANDED_OFF, COMPLAINT_FILED, ASSESSMENT_DONE)
OUTCOME_LABELS = {
    ANSWERED: "智能助手解答",
    HANDED_OFF: "转人工服务",
    COMPLAINT_FILED: "已受理投诉",
    ASSESSMENT_DONE: "完成风险评估",
}


class ServiceRecord(Base):
    __tablename__ = "archive_service_record"

    conversation_id = Column(String(255), primary_key=True)
    channel = Column(String(16), nullable=True)
    customer_id = Column(String(64), nullable=True)
    # Intents the customer raised, in order (the conversation's topics).
    topics = Column(JSON, nullable=True)
    # The strongest outcome: complaint_filed > assessment_done > handed_off > answered.
    outcome = Column(String(16), nullable=False)
    satisfaction = Column(Integer, nullable=True)
    started_at = Column(UTCDateTime(), nullable=False)
    ended_at = Column(UTCDateTime(), nullable=False)
    retain_until = Column(UTCDateTime(), nullable=False, index=True)
