"""Assessments are stored as immutable records and answer suitability questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.suitability import service
from bot.suitability.questionnaire import load_questionnaire

QUESTIONNAIRE = load_questionnaire()
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _answers(index: int, **overrides: int) -> dict[str, int]:
    return {**{q.id: index for q in QUESTIONNAIRE.questions}, **overrides}


def _record(session, customer_id="c-001", answers=None, now=NOW):
    return service.record_assessment(
        session=session,
        customer_id=customer_id,
        questionnaire=QUESTIONNAIRE,
        answers=answers or _answers(1),
        channel="web",
        conversation_id="conv-1",
        now=now,
    )


def test_a_completed_assessment_keeps_every_answer_its_score_level_and_expiry(session):
    assessment = _record(session)
    assert assessment.status == "completed"
    assert assessment.questionnaire_version == QUESTIONNAIRE.version
    assert len(assessment.answers) == len(QUESTIONNAIRE.questions)
    first = assessment.answers[0]
    assert (first.question_text, first.option_label) == ("您的年龄是？", "31–50岁")
    assert assessment.total_points == sum(a.points for a in assessment.answers)
    assert assessment.level == "C3"
    assert assessment.expires_at == datetime(2027, 11, 23, 9, 30, tzinfo=UTC)


def test_a_new_assessment_is_a_new_record_and_the_latest_one_counts(session):
    older = _record(session, answers=_answers(0), now=NOW - timedelta(days=30))
    newer = _record(session, answers=_answers(3))
    assert older.id != newer.id and older.level == "C1"
    listed = service.list_assessments(session=session, customer_id="c-001")
    assert [a.id for a in listed] == [newer.id, older.id]
    assert service.latest_completed(session=session, customer_id="c-001").level == "C5"


def test_an_abandoned_attempt_is_kept_without_a_level_and_does_not_count(session):
    service.record_abandoned(
        session=session,
        customer_id="c-002",
        questionnaire=QUESTIONNAIRE,
        answers={"age": 1, "household_income": 2},
        channel="app",
        conversation_id="conv-2",
        now=NOW,
    )
    [attempt] = service.list_assessments(session=session, customer_id="c-002")
    assert attempt.status == "abandoned" and attempt.level is None
    assert [a.question_id for a in attempt.answers] == ["age", "household_income"]
    answer = service.check_product_level(
        session=session,
        customer_id="c-002",
        product_level="R1",
        now=NOW,
        questionnaire_for_version=load_questionnaire,
    )
    assert answer.status == "no_assessment"


def test_products_at_or_below_the_level_suit_and_above_do_not(session):
    _record(session, customer_id="c-003")  # every second option: 48 points, C3
    check = lambda level: service.check_product_level(  # noqa: E731
        session=session,
        customer_id="c-003",
        product_level=level,
        now=NOW,
        questionnaire_for_version=load_questionnaire,
    )
    assert check("R3").status == "suitable"
    assert check("R4").status == "unsuitable"
    assert check("R4").customer_level == "C3"


def test_an_expired_assessment_must_be_redone(session):
    _record(session, customer_id="c-004", now=NOW - timedelta(days=400))
    answer = service.check_product_level(
        session=session,
        customer_id="c-004",
        product_level="R1",
        now=NOW,
        questionnaire_for_version=load_questionnaire,
    )
    assert answer.status == "expired"


def test_customers_aged_65_or_more_get_extra_care_for_r4_and_r5(session):
    _record(session, customer_id="c-005", answers=_answers(3, age=3))  # 65岁及以上, still C5
    check = lambda level: service.check_product_level(  # noqa: E731
        session=session,
        customer_id="c-005",
        product_level=level,
        now=NOW,
        questionnaire_for_version=load_questionnaire,
    )
    assert check("R5").senior_care and check("R5").status == "suitable"
    assert not check("R3").senior_care
