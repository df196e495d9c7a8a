"""Storing assessments and answering "may I buy this?" from the latest valid one.

Functions take the session as a keyword argument and flush; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import rules
from .models import ABANDONED, COMPLETED, Assessment, AssessmentAnswer
from .questionnaire import Questionnaire, score_answers

SENIOR_AGE_QUESTION = "age"


def _answer_rows(questionnaire: Questionnaire, answers: Mapping[str, int]) -> list[AssessmentAnswer]:
    rows = []
    for position, question in enumerate(questionnaire.questions):
        if question.id not in answers:
            continue
        option = question.options[answers[question.id]]
        rows.append(
            AssessmentAnswer(
                position=position,
                question_id=question.id,
                question_text=question.text,
                option_index=answers[question.id],
                option_label=option.label,
                points=option.points,
            )
        )
    return rows


def _store(
    *,
    session: Session,
    customer_id: str,
    questionnaire: Questionnaire,
    answers: Mapping[str, int],
    channel: str,
    conversation_id: str | None,
    now: datetime,
    **outcome,
) -> Assessment:
    assessment = Assessment(
        customer_id=customer_id,
        questionnaire_version=questionnaire.version,
        channel=channel,
        conversation_id=conversation_id,
        created_at=now,
        answers=_answer_rows(questionnaire, answers),
        **outcome,
    )
    session.add(assessment)
    session.flush()
    return assessment


def record_assessment(
    *,
    session: Session,
    customer_id: str,
    questionnaire: Questionnaire,
    answers: Mapping[str, int],
    channel: str,
    conversation_id: str | None,
    now: datetime,
    validity_months: int = rules.DEFAULT_VALIDITY_MONTHS,
) -> Assessment:
    """Scores a completed questionnaire and stores it as a new, immutable assessment."""
    result = score_answers(questionnaire, answers)
    return _store(
        session=session,
        customer_id=customer_id,
        questionnaire=questionnaire,
        answers=answers,
        channel=channel,
        conversation_id=conversation_id,
        now=now,
        status=COMPLETED,
        total_points=result.total,
        level=result.level,
        expires_at=rules.expires_at(now, months=validity_months),
    )


def get_assessment(*, session: Session, assessment_id: int) -> Assessment:
    """One stored assessment (completed or abandoned) by its id."""
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise LookupError(f"assessment {assessment_id} not found")
    return assessment


def record_abandoned(
    *,
    session: Session,
    customer_id: str,
    questionnaire: Questionnaire,
    answers: Mapping[str, int],
    channel: str,
    conversation_id: str | None,
    now: datetime,
) -> Assessment:
    """Keeps an attempt the customer left, with the answers given so far and no level."""
    return _store(
        session=session,
        customer_id=customer_id,
        questionnaire=questionnaire,
        answers=answers,
        channel=channel,
        conversation_id=conversation_id,
        now=now,
        status=ABANDONED,
    )


def list_assessments(*, session: Session, customer_id: str) -> list[Assessment]:
    """A customer's assessments, newest first (completed and abandoned)."""
    statement = (
        select(Assessment)
        .where(Assessment.customer_id == customer_id)
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())
    )
    return list(session.scalars(statement))


def latest_completed(*, session: Session, customer_id: str) -> Assessment | None:
    """The customer's newest completed assessment, valid or not."""
    statement = (
        select(Assessment)
        .where(Assessment.customer_id == customer_id, Assessment.status == COMPLETED)
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())
        .limit(1)
    )
    return session.scalars(statement).first()


@dataclass(frozen=True)
class SuitabilityAnswer:
    """What the assistant may say about a product level for this customer."""

    status: str  # "no_assessment", "expired", "valid", "suitable" or "unsuitable"
    customer_level: str | None = None
    expires_at: datetime | None = None
    senior_care: bool = False
    taken_at: datetime | None = None
    questionnaire_version: int | None = None


def customer_standing(*, session: Session, customer_id: str, now: datetime) -> SuitabilityAnswer:
    """The customer's level from the latest assessment: "valid", "expired" or "no_assessment"."""
    return _standing_of(latest_completed(session=session, customer_id=customer_id), now)


def _standing_of(assessment: Assessment | None, now: datetime) -> SuitabilityAnswer:
    if assessment is None:
        return SuitabilityAnswer(status="no_assessment")
    valid = rules.is_valid(expires=assessment.expires_at, now=now)
    return SuitabilityAnswer(
        status="valid" if valid else "expired",
        customer_level=assessment.level,
        expires_at=assessment.expires_at,
        taken_at=assessment.created_at,
        questionnaire_version=assessment.questionnaire_version,
    )


def _is_senior(assessment: Assessment, questionnaire: Questionnaire) -> bool:
    for answer in assessment.answers:
        if answer.question_id == SENIOR_AGE_QUESTION:
            option = questionnaire.question(SENIOR_AGE_QUESTION).options[answer.option_index]
            return option.low is not None and option.low >= rules.SENIOR_AGE
    return False


def check_product_level(
    *,
    session: Session,
    customer_id: str,
    product_level: str,
    now: datetime,
    questionnaire_for_version,
) -> SuitabilityAnswer:
    """Answers "may I buy an R<n> product?" from the latest assessment.

    `questionnaire_for_version(version)` returns the questionnaire an assessment was taken with.
    """
    assessment = latest_completed(session=session, customer_id=customer_id)
    standing = _standing_of(assessment, now)
    if assessment is None or standing.status != "valid":
        return standing
    questionnaire = questionnaire_for_version(assessment.questionnaire_version)
    senior = _is_senior(assessment, questionnaire) and product_level in rules.HIGH_RISK_LEVELS
    suitable = rules.is_suitable(customer_level=assessment.level, product_level=product_level)
    return SuitabilityAnswer(
        status="suitable" if suitable else "unsuitable",
        customer_level=assessment.level,
        expires_at=assessment.expires_at,
        senior_care=senior,
        taken_at=assessment.created_at,
        questionnaire_version=assessment.questionnaire_version,
    )
