"""Staff API: a customer's risk-tolerance assessments (completed and abandoned), newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path

from bot.db import utcnow
from bot.staff.models import StaffAccount
from bot.suitability import rules as suitability_rules
from bot.suitability import service as suitability_service
from bot.suitability.questionnaire import load_questionnaire

from ..deps import SessionDep
from ..schemas.staff_assessments import AssessmentAnswerRead, AssessmentRead
from ..staff_auth import require_role

router = APIRouter(prefix="/api/staff/customers", tags=["staff: assessments"])
AssessmentStaff = Annotated[StaffAccount, Depends(require_role("agent"))]
CustomerId = Annotated[str, Path(min_length=1, max_length=64)]


def _read(assessment, now: datetime) -> AssessmentRead:
    level_name = None
    if assessment.level:
        level_name = load_questionnaire(assessment.questionnaire_version).band(assessment.level).name
    valid = bool(assessment.expires_at) and suitability_rules.is_valid(expires=assessment.expires_at, now=now)
    return AssessmentRead(
        id=assessment.id,
        customer_id=assessment.customer_id,
        questionnaire_version=assessment.questionnaire_version,
        status=assessment.status,
        total_points=assessment.total_points,
        level=assessment.level,
        level_name=level_name,
        valid=valid,
        channel=assessment.channel,
        conversation_id=assessment.conversation_id,
        created_at=assessment.created_at,
        expires_at=assessment.expires_at,
        answers=[
            AssessmentAnswerRead(
                position=a.position,
                question_id=a.question_id,
                question_text=a.question_text,
                option_label=a.option_label,
                points=a.points,
            )
            for a in assessment.answers
        ],
    )


@router.get("/{customer_id}/assessments", response_model=list[AssessmentRead])
def list_customer_assessments(
    customer_id: CustomerId, session: SessionDep, staff: AssessmentStaff
) -> list[AssessmentRead]:
    """Every assessment of the customer, newest first; an unknown customer has none."""
    now = utcnow()
    return [
        _read(a, now) for a in suitability_service.list_assessments(session=session, customer_id=customer_id)
    ]
