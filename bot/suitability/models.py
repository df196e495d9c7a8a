"""Risk-tolerance assessments: immutable records of every completed or abandoned attempt."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from bot.db import Base, UTCDateTime, utcnow

COMPLETED = "completed"
ABANDONED = "abandoned"


class Assessment(Base):
    """One attempt at the questionnaire; a new assessment is a new row, never an update."""

    __tablename__ = "suitability_assessment"

    id = Column(Integer, primary_key=True, autoincrement=True)
    customer_id = Column(String(64), nullable=False, index=True)
    questionnaire_version = Column(Integer, nullable=False)
    status = Column(String(16), nullable=False)
    total_points = Column(Integer, nullable=True)
    level = Column(String(2), nullable=True)
    channel = Column(String(16), nullable=False)
    conversation_id = Column(String(32), nullable=True, index=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime(), nullable=True)

    answers = relationship("AssessmentAnswer", order_by="AssessmentAnswer.position", lazy="selectin")


class AssessmentAnswer(Base):
    """A question as it was asked and the option the customer chose, with its points."""

    __tablename__ = "suitability_answer"

    id = Column(Integer, primary_key=True, autoincrement=True)
    assessment_id = Column(
        Integer, ForeignKey("suitability_assessment.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position = Column(Integer, nullable=False)
    question_id = Column(String(32), nullable=False)
    question_text = Column(Text, nullable=False)
    option_index = Column(Integer, nullable=False)
    option_label = Column(Text, nullable=False)
    points = Column(Integer, nullable=False)
