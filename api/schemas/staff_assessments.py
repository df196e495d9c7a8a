"""Bodies of the staff API for customers' risk-tolerance assessments (api/routes/staff_assessments.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AssessmentAnswerRead(BaseModel):
    position: int
    question_id: str
    question_text: str
    option_label: str
    points: int


class AssessmentRead(BaseModel):
    id: int
    customer_id: str
    questionnaire_version: int
    status: str
    total_points: int | None
    level: str | None
    level_name: str | None
    valid: bool
    channel: str
    conversation_id: str | None
    created_at: datetime
    expires_at: datetime | None
    answers: list[AssessmentAnswerRead]
